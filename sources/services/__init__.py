"""Writes for sources: the sources and their whitelist entries (`sources.py`), the notices to
a source's partner and their delivery (`notices.py`), the email digest of returned contacts
(`digest.py`)."""

from __future__ import annotations

from sources.services.digest import source_returns_digest_record, source_returns_digests_record
from sources.services.notices import (
    NOTIFY_LEASE,
    NOTIFY_MAX_ATTEMPTS,
    source_api_changes_tracked,
    source_change_notify,
    source_changes_due,
    source_changes_record,
    source_notice_contact_returned,
    webhook_body,
)
from sources.services.sources import (
    source_campaign_delete,
    source_campaign_set,
    source_create,
    source_delete,
    source_rotate_token,
    source_update,
)

__all__ = [
    "NOTIFY_LEASE",
    "NOTIFY_MAX_ATTEMPTS",
    "source_api_changes_tracked",
    "source_campaign_delete",
    "source_campaign_set",
    "source_change_notify",
    "source_changes_due",
    "source_changes_record",
    "source_create",
    "source_delete",
    "source_notice_contact_returned",
    "source_returns_digest_record",
    "source_returns_digests_record",
    "source_rotate_token",
    "source_update",
    "webhook_body",
]
