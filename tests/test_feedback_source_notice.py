"""An approved return tells the source: a signed `contact_returned` webhook at once (its email
waits for the digest: test_feedback_returns_digest.py), sent and retried from the SourceChange
row like API changes; the API changelog does not list it."""

from __future__ import annotations

import pytest
from django.core import mail
from standardwebhooks.webhooks import Webhook

from feedback.models import ReturnPolicy
from sources.models import NotificationStatus, SourceChange
from sources.services import source_change_notify
from tests.factories import CallbackEndpointFactory
from tests.feedback_helpers import charged_contact, entry_make, key_client, return_url
from tests.test_source_changes_notify import Receiver, receiver  # noqa: F401

pytestmark = pytest.mark.django_db


def test_an_approved_return_sends_the_source_a_signed_contact_returned_webhook(
    receiver: Receiver,  # noqa: F811
):
    entry = entry_make(
        source__notification_url=receiver.url, source__notification_email="partner@example.com"
    )
    contact_id = charged_contact(entry)
    crm = key_client(CallbackEndpointFactory.create(campaigns=[entry.campaign]))

    crm.post(return_url(contact_id), {"reason": "wrong_number"}, format="json")
    notice = SourceChange.notices.get(source=entry.source)
    source_change_notify(change_id=notice.pk)

    assert len(receiver.requests) == 1
    request = receiver.requests[0]
    payload = Webhook(entry.source.notification_secret).verify(
        request["body"], {k.lower(): v for k, v in request["headers"].items()}
    )
    assert payload["event_type"] == "contact_returned"
    assert [(r["contact_id"], r["campaign_id"], r["reason"]) for r in payload["returns"]] == [
        (contact_id, entry.campaign_id, "wrong_number")
    ]
    assert "email" not in request["body"].replace("partner@example.com", "")
    assert len(mail.outbox) == 0  # the email goes out in the source's next digest
    notice.refresh_from_db()
    assert notice.webhook_status == NotificationStatus.SENT
    assert notice.email_status == NotificationStatus.DIGEST
    # Not an API change: the changelog (and the docs page's version) stays as it was.
    assert entry.source.changes.count() == 0


def test_a_return_held_for_review_tells_the_source_only_once_approved(
    receiver: Receiver,  # noqa: F811
):
    entry = entry_make(source__notification_url=receiver.url)
    ReturnPolicy.objects.create(campaign=entry.campaign, review="review")
    contact_id = charged_contact(entry)
    from tests.api_clients import api_client

    client = api_client("feedback.add_contactreturn", "feedback.change_contactreturn")
    ret = client.post(return_url(contact_id), {"reason": "fraud"}, format="json").json()
    assert SourceChange.notices.count() == 0

    client.post(f"/api/v1/returns/{ret['id']}/approve/")

    assert SourceChange.notices.filter(event_type="contact_returned").count() == 1
