"""Two posts of one identity at the same moment: one is kept, the other is a duplicate."""

from __future__ import annotations

import pytest
from django.db import connection

from finance.models import LedgerEntry
from ingest.models import Contact
from tests.factories import CampaignFieldFactory, SourceCampaignFactory
from tests.test_caps_concurrency import post_all_at_once

# Real commits: the threads must see each other's rows.
pytestmark = pytest.mark.django_db(transaction=True)

CLIENTS = 8


def test_parallel_posts_of_one_identity_keep_exactly_one_contact():
    assert connection.vendor == "postgresql"
    entry = SourceCampaignFactory.create()
    CampaignFieldFactory.create(campaign=entry.campaign, key="email", type="email")

    for round_ in range(3):
        email = f"same{round_}@example.com"
        results, _seconds = post_all_at_once(entry, [{"email": email}] * CLIENTS)

        codes = sorted(code for code, _response in results)
        assert codes == [200] + [409] * (CLIENTS - 1)
        assert Contact.objects.filter(email=email).count() == 1
    assert LedgerEntry.objects.count() == 2 * 3
