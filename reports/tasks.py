"""Celery tasks of the reports. The task keeps the name it had in the ingest app: beat entries
(contactsource/settings.py) name it so."""

from __future__ import annotations

from celery import shared_task

from reports.stats_rollup import intake_stats_rollup


@shared_task(name="ingest.tasks.intake_stats_roll_up", expires=60)
def intake_stats_roll_up() -> int:
    """Beat, every minute: fold new intake events into the hourly stats behind the charts."""
    return intake_stats_rollup()
