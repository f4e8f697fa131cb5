"""Celery tasks for sources: take ids, call one service. The SourceChange row is the truth."""

from __future__ import annotations

from celery import shared_task

from sources import services


@shared_task(acks_late=True, ignore_result=True)
def source_change_notify(change_id: int) -> None:
    """One attempt at the change notification (email and webhook); the row says what is left."""
    services.source_change_notify(change_id=change_id)


@shared_task(ignore_result=True)
def source_changes_notify_due() -> int:
    """Beat: enqueue notifications that are due (retries, and any whose task was lost)."""
    due = services.source_changes_due()
    for change_id in due:
        source_change_notify.delay(change_id)
    return len(due)


@shared_task(ignore_result=True)
def source_returns_digest() -> int:
    """Beat: gather each source's returned contacts since its last digest into one email."""
    return len(services.source_returns_digests_record())
