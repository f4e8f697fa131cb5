"""CSV imports: upload, map the columns, import in chunks through the intake's own rules."""

from __future__ import annotations

from django.apps import AppConfig


class ImportsConfig(AppConfig):
    name = "imports"
    verbose_name = "Imports"
