"""The hourly intake stats behind the charts (tables kept from the ingest app)."""

from __future__ import annotations

from django.db import models

from ingest.models import IntakeStatus


class IntakeStatHour(models.Model):
    """Counted intake events (no tests, no replays) per hour, source, campaign and status.

    Kept by a beat task (reports.stats_rollup) a couple of minutes behind the log, so the charts
    sum a few thousand of these rows plus the last minutes of raw events, instead of scanning
    millions of events. The row for the newest hour covers it only up to the watermark.
    """

    hour = models.DateTimeField()  # UTC start of the hour
    source = models.ForeignKey(
        "sources.Source", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    campaign = models.ForeignKey(
        "campaigns.Campaign", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(max_length=16, choices=IntakeStatus.choices)
    events = models.PositiveIntegerField(default=0)
    cost = models.DecimalField(max_digits=16, decimal_places=4, default=0)
    revenue = models.DecimalField(max_digits=16, decimal_places=4, default=0)

    class Meta:
        # Moved from the ingest app with its rows: the table keeps its name.
        db_table = "ingest_intakestathour"
        indexes = [
            models.Index(fields=["hour"], name="stathour_hour_idx"),
            models.Index(fields=["source", "hour"], name="stathour_source_idx"),
            models.Index(fields=["campaign", "hour"], name="stathour_campaign_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.hour:%Y-%m-%d %H}h {self.status}: {self.events}"


class IntakeStatRollup(models.Model):
    """How far IntakeStatHour has been rolled up: events before `rolled_until` are in it."""

    name = models.CharField(max_length=32, unique=True)
    rolled_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "ingest_intakestatrollup"

    def __str__(self) -> str:
        return f"{self.name} rolled up until {self.rolled_until}"
