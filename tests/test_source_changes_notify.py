"""A change set notifies the source once: an email and a signed webhook, retried from the row."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.utils import timezone
from standardwebhooks.webhooks import Webhook

from campaigns.services import campaign_field_create
from sources.models import NotificationStatus, SourceChange
from sources.services import source_change_notify, source_changes_due
from sources.tasks import source_changes_notify_due
from tests.factories import SourceCampaignFactory

pytestmark = pytest.mark.django_db


class Receiver:
    """A real local HTTP server that records requests and answers with a settable status."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.status = 204
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                receiver.requests.append(
                    {"headers": dict(self.headers), "body": self.rfile.read(length).decode()}
                )
                self.send_response(receiver.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/api-changes"


@pytest.fixture
def receiver(settings) -> Iterator[Receiver]:
    settings.CALLBACK_ALLOW_PRIVATE = True
    rec = Receiver()
    thread = threading.Thread(target=rec.server.serve_forever, daemon=True)
    thread.start()
    yield rec
    rec.server.shutdown()
    rec.server.server_close()


def make_change(receiver: Receiver | None = None, email: str = "partner@example.com"):
    entry = SourceCampaignFactory.create(
        source__notification_email=email,
        source__notification_url=receiver.url if receiver else "",
        campaign__name="Auto",
    )
    campaign_field_create(campaign=entry.campaign, key="age", type="number", required=True)
    return entry, SourceChange.objects.get()


def test_it_sends_one_email_and_one_signed_webhook_per_change(receiver, settings):
    settings.PUBLIC_BASE_URL = "https://leads.example.com"
    entry, change = make_change(receiver)

    source_change_notify(change_id=change.pk)

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["partner@example.com"]
    assert f"source {entry.source_id}" in message.subject
    assert "field 'age' added (number; required)" in message.body
    assert f"https://leads.example.com/source/{entry.source_id}" in message.body
    assert len(receiver.requests) == 1
    request = receiver.requests[0]
    # Verifies the Standard Webhooks signature with the source's secret (raises if wrong).
    payload = Webhook(entry.source.notification_secret).verify(
        request["body"], {k.lower(): v for k, v in request["headers"].items()}
    )
    assert payload["event_type"] == "source_api_changed"
    assert payload["event_id"] == str(change.public_id)
    assert payload["source"]["id"] == entry.source_id
    assert payload["changes"] == change.lines
    change.refresh_from_db()
    assert change.email_status == NotificationStatus.SENT
    assert change.webhook_status == NotificationStatus.SENT
    assert change.next_attempt_at is None
    assert source_change_notify(change_id=change.pk) is None  # nothing due: nothing resent
    assert len(mail.outbox) == 1
    assert len(receiver.requests) == 1


def test_a_failing_webhook_is_retried_later_without_resending_the_email(receiver):
    _, change = make_change(receiver)
    receiver.status = 503

    source_change_notify(change_id=change.pk)

    change.refresh_from_db()
    assert change.email_status == NotificationStatus.SENT
    assert change.webhook_status == NotificationStatus.PENDING
    assert change.last_error == "webhook: 503"
    assert change.next_attempt_at > timezone.now()
    assert source_change_notify(change_id=change.pk) is None  # not due yet
    receiver.status = 200
    with time_machine.travel(change.next_attempt_at + timedelta(seconds=1)):
        assert source_changes_due() == [change.pk]
        source_change_notify(change_id=change.pk)
    change.refresh_from_db()
    assert change.webhook_status == NotificationStatus.SENT
    assert change.attempts == 2
    assert len(mail.outbox) == 1
    bodies = [json.loads(r["body"]) for r in receiver.requests]
    assert [b["delivery_attempt"] for b in bodies] == ["1", "2"]
    assert {r["headers"]["webhook-id"] for r in receiver.requests} == {str(change.public_id)}


def test_a_client_error_from_the_webhook_is_permanent(receiver):
    _, change = make_change(receiver, email="")
    receiver.status = 404

    source_change_notify(change_id=change.pk)

    change.refresh_from_db()
    assert change.webhook_status == NotificationStatus.FAILED
    assert change.email_status == NotificationStatus.SKIPPED
    assert change.next_attempt_at is None


def test_the_beat_sweep_enqueues_due_changes(monkeypatch):
    _, change = make_change()
    enqueued: list[int] = []
    monkeypatch.setattr("sources.tasks.source_change_notify.delay", enqueued.append)

    assert source_changes_notify_due() == 1

    assert enqueued == [change.pk]
