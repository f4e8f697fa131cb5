"""Read-only views over everything: the dashboard, charts, the hourly stats rollup behind them,
the transactions timeline and its CSV export, the stats API."""

from __future__ import annotations

from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = "Reports"
