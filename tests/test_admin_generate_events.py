from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from ingest.models import IntakeEvent, IntakeStatHour
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
    assert sum(IntakeStatHour.objects.values_list("events", flat=True)) == 200
    assert "Inserted 200 intake events over 3 days." in out.getvalue()
