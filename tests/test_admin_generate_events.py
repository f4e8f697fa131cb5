from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from ingest.models import IntakeEvent
from reports.models import IntakeStatHour, IntakeStatRollup
from reports.selectors import StatsRange, intake_totals, local_midnight
from sources.models import SourceCampaign

pytestmark = pytest.mark.django_db


def test_it_fills_the_log_with_a_mix_of_statuses_and_rebuilds_the_rollup():
    out = StringIO()

    call_command("generate_events", count=200, days=3, batch=80, stdout=out)

    assert IntakeEvent.objects.count() == 200
    assert SourceCampaign.objects.count() == 20  # the benchmark sources and campaigns
    statuses = set(IntakeEvent.objects.values_list("status", flat=True))
    assert {"accepted", "invalid", "duplicate"} <= statuses
    accepted = IntakeEvent.objects.filter(status="accepted")
    assert not accepted.filter(cost__isnull=True).exists()
    watermark = IntakeStatRollup.objects.get().rolled_until
    assert watermark is not None
    rolled_up = IntakeEvent.objects.filter(created_at__lt=watermark).count()
    assert sum(IntakeStatHour.objects.values_list("events", flat=True)) == rolled_up > 0
    week = StatsRange(start=local_midnight() - timedelta(days=7), end=timezone.now())
    assert intake_totals(week).total == 200
    assert "Inserted 200 intake events over 3 days." in out.getvalue()
