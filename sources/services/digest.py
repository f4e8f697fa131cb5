"""The email digest of returned contacts (DESIGN §14).

Each approved return's notice sends its webhook at once; its email waits (`email_status`
"digest") for the source's next digest: one email listing every return since the last one, so a
buyer returning fifty contacts sends the partner one email, not fifty. A beat task
(`source-returns-digest`, every RETURNS_DIGEST_SECONDS) records the digests; a digest is a
notice row like the others (email pending, no webhook), sent and retried from the row by
`source_change_notify`.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from sources.models import NoticeType, NotificationStatus, Source, SourceChange
from sources.services.notices import _notice_create


def _waiting() -> QuerySet[SourceChange]:
    """Returned contacts' notices whose email no digest has taken yet (a partial index)."""
    return SourceChange.notices.filter(email_status=NotificationStatus.DIGEST, digest__isnull=True)


def source_returns_digests_record() -> list[SourceChange]:
    """One digest per source with returns waiting for one, each in its own transaction."""
    source_ids = set(_waiting().values_list("source_id", flat=True).order_by())
    digests = [source_returns_digest_record(source_id=pk) for pk in sorted(source_ids)]
    return [digest for digest in digests if digest is not None]


@transaction.atomic
def source_returns_digest_record(*, source_id: int) -> SourceChange | None:
    """Gather the source's waiting returns into one digest row (sent after commit).

    The waiting notices are locked: a second run at the same moment waits, then finds them
    taken (PostgreSQL re-checks `digest IS NULL` after the lock) and makes no second digest.
    """
    waiting = list(
        _waiting().select_for_update().filter(source_id=source_id).order_by("created_at", "pk")
    )
    if not waiting:
        return None
    source = Source.objects.get(pk=source_id)
    ids = [notice.pk for notice in waiting]
    if not source.notification_email:
        # The address was removed since these returns: there is no one to send them to.
        SourceChange.notices.filter(pk__in=ids).update(email_status=NotificationStatus.SKIPPED)
        return None
    lines = [line for notice in waiting for line in notice.lines]
    digest = _notice_create(
        source,
        NoticeType.RETURNS_DIGEST,
        lines,
        timezone.now(),
        webhook=NotificationStatus.SKIPPED,
    )
    SourceChange.notices.filter(pk__in=ids).update(digest=digest)
    return digest
