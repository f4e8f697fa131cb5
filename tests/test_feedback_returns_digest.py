"""Approved returns reach the source's email in one digest (its webhook goes out per return):
the digest is a notice row, sent and retried from the row like API changes (DESIGN §14)."""

from __future__ import annotations

import socket
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from sources.models import NoticeType, NotificationStatus, SourceChange
from sources.services import source_change_notify, source_changes_due
from sources.tasks import source_returns_digest
from tests.api_clients import api_client
from tests.feedback_helpers import charged_contact, entry_make, return_url

pytestmark = pytest.mark.django_db

EMAIL = "partner@example.com"


def returned(entry, reasons: list[str]) -> list[int]:
    """Contacts posted through the intake and returned through the API, one per reason."""
    client = api_client("feedback.add_contactreturn")
    contact_ids = []
    for reason in reasons:
        contact_id = charged_contact(entry)
        answer = client.post(return_url(contact_id), {"reason": reason}, format="json")
        assert answer.status_code == 201, answer.json()
        contact_ids.append(contact_id)
    return contact_ids


def digest_of(entry) -> SourceChange:
    return SourceChange.notices.get(source=entry.source, event_type=NoticeType.RETURNS_DIGEST)


def test_returns_wait_for_the_digest_and_go_out_in_one_email(settings):
    settings.PUBLIC_BASE_URL = "https://leads.example.com"
    entry = entry_make(source__notification_email=EMAIL, source__name="Vendor A")
    contact_ids = returned(entry, ["fraud", "wrong_number", "fraud"])
    notices = list(SourceChange.notices.filter(event_type=NoticeType.CONTACT_RETURNED))
    assert [n.email_status for n in notices] == [NotificationStatus.DIGEST] * 3
    assert source_changes_due() == []  # no webhook URL: nothing to send one by one

    assert source_returns_digest() == 1
    digest = digest_of(entry)
    source_change_notify(change_id=digest.pk)

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [EMAIL]
    assert message.subject == f"3 contacts returned, source {entry.source_id} (Vendor A)"
    for contact_id, reason in zip(contact_ids, ["fraud", "wrong_number", "fraud"], strict=True):
        assert f"Contact {contact_id} of campaign {entry.campaign_id} was returned: {reason}." in (
            message.body
        )
    assert f"https://leads.example.com/source/{entry.source_id}#returns" in message.body
    assert "@example.com" not in message.body  # the contacts' own data stays out
    digest.refresh_from_db()
    assert (digest.email_status, digest.webhook_status) == ("sent", "skipped")
    assert digest.next_attempt_at is None
    assert {n.digest_id for n in SourceChange.notices.filter(pk__in=[n.pk for n in notices])} == {
        digest.pk
    }
    # Nothing is waiting any more: the next run makes no digest and sends nothing.
    assert source_returns_digest() == 0
    assert len(mail.outbox) == 1


def test_each_source_gets_its_own_digest_with_only_its_returns():
    first = entry_make(source__notification_email=EMAIL)
    second = entry_make(source__notification_email="other@example.com")
    returned(first, ["fraud"])
    returned(second, ["duplicate", "other"])

    assert source_returns_digest() == 2

    assert len(digest_of(first).lines) == 1
    assert [line["reason"] for line in digest_of(second).lines] == ["duplicate", "other"]


def test_the_digest_is_enqueued_after_commit(django_capture_on_commit_callbacks, monkeypatch):
    entry = entry_make(source__notification_email=EMAIL)
    returned(entry, ["fraud"])
    enqueued: list[int] = []
    monkeypatch.setattr("sources.tasks.source_change_notify.delay", enqueued.append)

    with django_capture_on_commit_callbacks(execute=True):
        source_returns_digest()

    assert enqueued == [digest_of(entry).pk]


def test_a_failing_digest_email_leaves_the_row_due_and_is_sent_on_retry(settings):
    entry = entry_make(source__notification_email=EMAIL)
    returned(entry, ["fraud", "other"])
    source_returns_digest()
    digest = digest_of(entry)
    # A real SMTP attempt at a port nothing listens on: the connection is refused.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", closed_port, 2

    source_change_notify(change_id=digest.pk)

    digest.refresh_from_db()
    assert digest.email_status == NotificationStatus.PENDING
    assert digest.last_error == "email: ConnectionRefusedError"
    assert EMAIL not in digest.last_error
    due = digest.next_attempt_at
    assert due is not None and due > timezone.now()
    assert source_changes_due() == []  # backing off
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with time_machine.travel(due + timedelta(seconds=1)):
        assert source_changes_due() == [digest.pk]
        source_change_notify(change_id=digest.pk)
    digest.refresh_from_db()
    assert (digest.email_status, digest.attempts) == (NotificationStatus.SENT, 2)
    assert len(mail.outbox) == 1 and "2 contacts returned" in mail.outbox[0].subject
    assert source_returns_digest() == 0  # the returns are not gathered into a second digest


def test_a_source_without_an_email_gets_no_digest():
    entry = entry_make(source__notification_email="")
    returned(entry, ["fraud"])

    assert source_returns_digest() == 0

    notice = SourceChange.notices.get(source=entry.source)
    assert notice.email_status == NotificationStatus.SKIPPED


def test_returns_whose_source_lost_its_email_are_skipped_not_sent():
    entry = entry_make(source__notification_email=EMAIL)
    returned(entry, ["fraud"])
    entry.source.notification_email = ""
    entry.source.save()

    assert source_returns_digest() == 0

    notice = SourceChange.notices.get(source=entry.source)
    assert (notice.email_status, notice.digest_id) == (NotificationStatus.SKIPPED, None)
    assert len(mail.outbox) == 0


def test_beat_records_the_digests_every_returns_digest_seconds(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["source-returns-digest"]

    assert entry["task"] == source_returns_digest.name == "sources.tasks.source_returns_digest"
    assert entry["schedule"] == settings.RETURNS_DIGEST_SECONDS == 3600.0
