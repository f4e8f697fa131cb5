"""A source's notices and their delivery: API changes (recorded from a diff of what its partner
can post) and returned contacts, each a SourceChange row sent by email and signed webhook after
commit, retried from the row."""

from __future__ import annotations

import json
import logging
import smtplib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from contactsource.backoff import backoff_delay
from contactsource.webhooks import signed_post
from sources.changes import ApiSnapshot, api_diff
from sources.documentation import documentation_url
from sources.models import NoticeType, NotificationStatus, Source, SourceChange
from sources.selectors import source_api_snapshots, source_ids_for_campaigns

logger = logging.getLogger(__name__)


NOTIFY_MAX_ATTEMPTS = 16
# A claimed row is not due again for this long: time for one email and one webhook attempt.
NOTIFY_LEASE = timedelta(minutes=5)


def _backoff(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min, … capped at 2 h: 16 attempts span about 18 hours."""
    return timedelta(seconds=backoff_delay(attempts, base=30, cap=7200))


@contextmanager
def source_api_changes_tracked(
    *, source_ids: Iterable[int] = (), campaign_ids: Iterable[int] = ()
) -> Iterator[None]:
    """Compare the affected sources' API before and after the wrapped write; record the diff.

    Sources are those given plus those whitelisted for the given campaigns, before or after.
    Every change in the wrapped block lands in one SourceChange per source: one notification.
    """
    campaign_ids = list(campaign_ids)
    affected = set(source_ids) | source_ids_for_campaigns(campaign_ids=campaign_ids)
    before = source_api_snapshots(source_ids=affected)
    yield
    affected |= source_ids_for_campaigns(campaign_ids=campaign_ids)
    after = source_api_snapshots(source_ids=affected)
    source_changes_record(before=before, after=after)


@transaction.atomic
def source_changes_record(
    *, before: dict[int, ApiSnapshot], after: dict[int, ApiSnapshot]
) -> list[SourceChange]:
    """One SourceChange per source whose API differs; notifications go out after commit."""
    now = timezone.now()
    changes = []
    sources = Source.objects.in_bulk(list(before.keys() | after.keys()))
    for source_id in sorted(sources):
        lines = api_diff(before.get(source_id, {}), after.get(source_id, {}))
        if not lines:
            continue
        changes.append(_notice_create(sources[source_id], NoticeType.API_CHANGED, lines, now))
    return changes


def _notice_create(
    source: Source,
    event_type: str,
    lines: list[dict[str, Any]],
    now: datetime,
    *,
    email: str = NotificationStatus.PENDING,
    webhook: str = NotificationStatus.PENDING,
) -> SourceChange:
    """One notice row, `email` and `webhook` (pending, digest, skipped) for each channel the
    source has, skipped for the others; what is pending is sent after commit."""
    email = email if source.notification_email else NotificationStatus.SKIPPED
    hook = webhook if source.notification_url else NotificationStatus.SKIPPED
    pending = NotificationStatus.PENDING in (email, hook)
    change = SourceChange.notices.create(
        source=source,
        event_type=event_type,
        lines=lines,
        email_status=email,
        webhook_status=hook,
        next_attempt_at=now if pending else None,
    )
    if pending:
        transaction.on_commit(partial(_notify_enqueue, change.pk))
    return change


def source_notice_contact_returned(
    *, source_id: int, contact_id: int, campaign_id: int, reason: str, returned_at: datetime
) -> SourceChange:
    """Tell a source that a buyer's return of one of its contacts was approved (DESIGN §14):
    the contact's id, campaign and reason only, never its personal data. The webhook is sent
    at once; the email waits for the source's next returns digest (services/digest.py)."""
    source = Source.objects.get(pk=source_id)
    line = {
        "kind": NoticeType.CONTACT_RETURNED.value,
        "campaign_id": campaign_id,
        "contact_id": contact_id,
        "reason": reason,
        "returned_at": returned_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "text": f"Contact {contact_id} of campaign {campaign_id} was returned: {reason}.",
    }
    return _notice_create(
        source,
        NoticeType.CONTACT_RETURNED,
        [line],
        timezone.now(),
        email=NotificationStatus.DIGEST,
    )


def _notify_enqueue(change_id: int) -> None:
    from sources.tasks import source_change_notify

    try:
        source_change_notify.delay(change_id)
    except Exception:  # the broker is down: the row stays due and the beat sweep sends it
        logger.warning("source change %s: notification not enqueued", change_id, exc_info=True)


def source_changes_due(*, limit: int = 200) -> list[int]:
    return list(
        SourceChange.notices.filter(next_attempt_at__lte=timezone.now())
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )


def _claim(change_id: int, now: datetime) -> SourceChange | None:
    """Take the row for one attempt (conditional UPDATE: only one worker gets 1 back)."""
    claimed = SourceChange.notices.filter(pk=change_id, next_attempt_at__lte=now).update(
        next_attempt_at=now + NOTIFY_LEASE, attempts=F("attempts") + 1
    )
    if not claimed:
        return None
    return SourceChange.notices.select_related("source").get(pk=change_id)


def source_change_notify(*, change_id: int) -> SourceChange | None:
    """Send what is still pending (email, webhook) once; schedule the next attempt if needed."""
    now = timezone.now()
    change = _claim(change_id, now)
    if change is None:
        return None
    errors: list[str] = []
    if change.email_status == NotificationStatus.PENDING:
        _send_email(change, errors)
    if change.webhook_status == NotificationStatus.PENDING:
        _send_webhook(change, now, errors)
    pending = NotificationStatus.PENDING in (change.email_status, change.webhook_status)
    if pending and change.attempts >= NOTIFY_MAX_ATTEMPTS:
        for name in ("email_status", "webhook_status"):
            if getattr(change, name) == NotificationStatus.PENDING:
                setattr(change, name, NotificationStatus.FAILED)
        pending = False
    change.next_attempt_at = now + _backoff(change.attempts) if pending else None
    change.last_error = "; ".join(errors)[:500]
    change.save(
        update_fields=[
            "email_status",
            "email_sent_at",
            "webhook_status",
            "webhook_sent_at",
            "next_attempt_at",
            "last_error",
        ]
    )
    return change


def _email(change: SourceChange) -> tuple[str, str]:
    """The notice's subject and text."""
    source = change.source
    named = f"source {source.pk} ({source.name})"
    items = [f"- {line['text']}" for line in change.lines]
    if change.event_type == NoticeType.RETURNS_DIGEST:
        count = len(change.lines)
        returned = f"{count} contact{'s' if count != 1 else ''} returned"
        text = [
            f"Buyers returned {count} contact{'s' if count != 1 else ''} of your {named} "
            "since the last digest:",
            "",
            *(f"- {line['returned_at']}: {line['text']}" for line in change.lines),
            "",
            f"Your returned contacts of the last 30 days, with a CSV: "
            f"{documentation_url(source.pk)}#returns",
        ]
        return f"{returned}, {named}", "\n".join(text)
    if change.event_type == NoticeType.CONTACT_RETURNED:
        # One email per return: notices recorded before the digest, still being retried.
        text = [f"A buyer returned a contact of your {named}:", "", *items]
        return f"Contact returned, {named}", "\n".join(text)
    text = [
        f"The API of your {named} has changed:",
        "",
        *items,
        "",
        f"The up-to-date documentation: {documentation_url(source.pk)}",
    ]
    return f"API changes for {named}", "\n".join(text)


def _send_email(change: SourceChange, errors: list[str]) -> None:
    source = change.source
    if not source.notification_email:
        change.email_status = NotificationStatus.SKIPPED
        return
    subject, text = _email(change)
    try:
        send_mail(
            subject=subject,
            message=text,
            from_email=None,
            recipient_list=[source.notification_email],
        )
    except (smtplib.SMTPException, OSError) as exc:
        # Never the address itself in the log or the row: it is personal data.
        errors.append(f"email: {type(exc).__name__}")
        return
    change.email_status = NotificationStatus.SENT
    change.email_sent_at = timezone.now()


def webhook_body(change: SourceChange, *, attempt: int) -> dict[str, Any]:
    source = change.source
    body: dict[str, Any] = {
        "event_id": str(change.public_id),
        "event_type": change.event_type,
        "event_date": change.created_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "delivery_attempt": str(attempt),
        "source": {"id": source.pk, "name": source.name, "url": documentation_url(source.pk)},
    }
    if change.event_type in (NoticeType.CONTACT_RETURNED, NoticeType.RETURNS_DIGEST):
        body["returns"] = [{k: v for k, v in line.items() if k != "kind"} for line in change.lines]
    else:
        body["changes"] = change.lines
    return body


def _send_webhook(change: SourceChange, now: datetime, errors: list[str]) -> None:
    source = change.source
    if not source.notification_url:
        change.webhook_status = NotificationStatus.SKIPPED
        return
    body = json.dumps(webhook_body(change, attempt=change.attempts), sort_keys=True)
    result = signed_post(
        source.notification_url,
        secret=source.notification_secret,
        msg_id=str(change.public_id),
        timestamp=now,
        body=body,
    )
    if result.ok:
        change.webhook_status = NotificationStatus.SENT
        change.webhook_sent_at = timezone.now()
        return
    status = result.status_code
    errors.append(f"webhook: {status or result.error}")
    # A 4xx other than 408/429 will not get better by retrying (as the CRM callbacks).
    if status is not None and 400 <= status < 500 and status not in (408, 429):
        change.webhook_status = NotificationStatus.FAILED
