"""Telling a source of each approved return, through its change-notification channel: the
SourceChange row, its signed webhook at once and its email in the source's next digest, each
retried from the row (sources/services/notices.py, sources/services/digest.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sources.services import source_notice_contact_returned

if TYPE_CHECKING:
    from feedback.models import ContactReturn


def return_notify_source(*, ret: ContactReturn) -> None:
    """Record the notice inside the return's transaction; it is sent after commit."""
    source_notice_contact_returned(
        source_id=ret.source_id,
        contact_id=ret.contact_id,
        campaign_id=ret.campaign_id,
        reason=ret.reason,
        returned_at=ret.decided_at or ret.created_at,
    )
