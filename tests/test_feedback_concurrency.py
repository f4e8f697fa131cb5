"""Sixteen returns of one contact at the same moment make one return and one pair of reversals:
the unique key on the contact decides, not a check before the insert."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection, connections

from feedback.models import ContactReturn
from finance.models import LedgerEntry, LedgerKind
from subscriptions.services import endpoint_api_key_issue
from tests.factories import CallbackEndpointFactory
from tests.feedback_helpers import charged_contact, entry_make, key_client, ledger_total, return_url

# Real commits: the threads must see each other's rows.
pytestmark = pytest.mark.django_db(transaction=True)

CLIENTS = 16


def test_sixteen_returns_at_once_make_one_return_and_one_pair_of_reversals():
    assert connection.vendor == "postgresql"
    entry = entry_make()
    contact_id = charged_contact(entry)
    endpoint = CallbackEndpointFactory.create(campaigns=[entry.campaign])
    key = endpoint_api_key_issue(endpoint_id=endpoint.pk)
    barrier = threading.Barrier(CLIENTS)

    def post(i: int):
        try:
            client = key_client(endpoint, key)
            barrier.wait(timeout=60)
            return client.post(return_url(contact_id), {"reason": "fraud"}, format="json")
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
        responses = list(pool.map(post, range(CLIENTS)))

    codes = sorted(r.status_code for r in responses)
    assert codes == [200] * (CLIENTS - 1) + [201]
    assert len({r.json()["id"] for r in responses}) == 1
    assert ContactReturn.objects.count() == 1
    assert LedgerEntry.objects.filter(kind=LedgerKind.REVERSAL).count() == 2
    assert ledger_total(contact_id) == 0
