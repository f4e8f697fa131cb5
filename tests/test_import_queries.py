"""An import chunk is decided and written set-based: its statements do not grow with its rows."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from imports.models import ContactImport
from imports.services import contact_import_create, contact_import_run_chunk, contact_import_start
from ingest.models import Contact, IntakeEvent
from subscriptions.models import Subscription
from tests.factories import CallbackEndpointFactory, CampaignFieldFactory, SourceCampaignFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def entry():
    entry = SourceCampaignFactory(cost=Decimal("2.50"), campaign__revenue=Decimal("6.00"))
    CampaignFieldFactory(campaign=entry.campaign, key="email", type="email", required=True)
    CampaignFieldFactory(campaign=entry.campaign, key="zipcode", type="zipcode")
    CallbackEndpointFactory(campaigns=[entry.campaign])
    return entry


def started(entry, first: int, rows: int) -> ContactImport:
    lines = ["email,zip"] + [f"row{i}@example.com,33602" for i in range(first, first + rows)]
    # An invalid row and a duplicate within the file, so every branch of the chunk runs.
    lines += ["not-an-email,33602", f"row{first}@example.com,33602"]
    imp = contact_import_create(
        source=entry.source,
        campaign=entry.campaign,
        filename="leads.csv",
        content=("\n".join(lines) + "\n").encode(),
    )
    contact_import_start(contact_import=imp, mapping=imp.mapping)
    return imp


def statements_of_one_chunk(imp: ContactImport) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert contact_import_run_chunk(import_id=imp.pk, rows=1000) is False
    return len(captured.captured_queries)


def test_an_import_chunk_costs_the_same_statements_for_300_rows_as_for_30(entry):
    small = statements_of_one_chunk(started(entry, 0, 30))
    large = statements_of_one_chunk(started(entry, 1000, 300))

    assert large == small
    assert small < 40
    assert Contact.objects.count() == IntakeEvent.objects.count() == 330
    assert Subscription.objects.count() == 330
