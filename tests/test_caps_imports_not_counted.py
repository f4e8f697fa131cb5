"""Imported contacts do not count against caps, as the caps page says: not as they arrive, and
not when a new cap recounts its window from the ledger (a new 3-per-hour cap showed 6/3)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from finance.models import Cap, LedgerEntry
from finance.services import IMPORTED_MEMO, cap_save
from imports.services import contact_import_create, contact_import_run_chunk, contact_import_start
from sources.models import SourceCampaign
from tests.factories import CampaignFieldFactory, SourceCampaignFactory

pytestmark = pytest.mark.django_db


def test_a_new_cap_on_the_caps_page_leaves_imported_contacts_out(marketer_client, post_contact):
    entry: SourceCampaign = SourceCampaignFactory.create(
        cost=Decimal("1.00"), campaign__timezone="UTC"
    )
    CampaignFieldFactory(campaign=entry.campaign, key="email", type="email", required=True)
    rows = "".join(f"i{n}@example.com\n" for n in range(6))
    imp = contact_import_create(
        source=entry.source,
        campaign=entry.campaign,
        filename="leads.csv",
        content=f"email\n{rows}".encode(),
    )
    contact_import_start(contact_import=imp, mapping=imp.mapping)
    while contact_import_run_chunk(import_id=imp.pk, rows=500):
        pass
    assert post_contact(entry, {"email": "live@example.com"}).status_code == 200
    assert LedgerEntry.objects.filter(kind="cost", memo=IMPORTED_MEMO).count() == 6

    cap_save(
        cap=Cap(campaign=entry.campaign, source=entry.source, limit=Decimal("3"), duration="PT1H")
    )

    page = marketer_client.get("/admin/caps/")
    row = page.context["rows"][0]
    assert (row.used, row.limit) == ("1", "3")
    assert "Imported contacts do not count against caps" in page.content.decode()
