"""The check order up to the campaign: body, token, source, publish state, whitelist, campaign."""

from __future__ import annotations

import hmac
import logging
from typing import Any

from campaigns.fields import CONTROL_KEYS
from campaigns.models import Campaign
from contactsource.models import PublishState
from contactsource.tokens import token_matches
from ingest import errors
from ingest.entryread import entry_read
from ingest.errors import IntakeError
from ingest.parsing import check_field_count, clean_fields, clean_text, is_truthy
from ingest.pipeline import IntakeOutcome, IntakeRequest
from ingest.throttle import auth_refused
from sources.models import Source

logger = logging.getLogger(__name__)


_SOURCE_REFUSALS = {
    PublishState.UNPUBLISHED: errors.SOURCE_UNPUBLISHED,
    PublishState.PENDING: errors.SOURCE_OUTSIDE_WINDOW,
    PublishState.EXPIRED: errors.SOURCE_OUTSIDE_WINDOW,
}


_CAMPAIGN_REFUSALS = {
    PublishState.UNPUBLISHED: errors.CAMPAIGN_UNPUBLISHED,
    PublishState.PENDING: errors.CAMPAIGN_OUTSIDE_WINDOW,
    PublishState.EXPIRED: errors.CAMPAIGN_OUTSIDE_WINDOW,
}


def _as_id(ref: str) -> int | None:
    return int(ref) if ref.isdigit() and len(ref) < 19 else None


def source_token_valid(source: Source, token: str, now: Any) -> bool:
    if token_matches(token, source.token_hash):
        return True
    grace = source.previous_token_valid_until
    return bool(grace and now < grace and token_matches(token, source.previous_token_hash))


def _authenticate(req: IntakeRequest, outcome: IntakeOutcome) -> None:
    """The anchor's check order: source, its publish state, token, whitelist, campaign."""
    source_id, campaign_id = _as_id(req.source_ref), _as_id(req.campaign_ref)
    if source_id is None:
        raise auth_refused(req, errors.UNKNOWN_SOURCE)
    entry = None
    if campaign_id is not None:
        # One query on the happy path: the entry with its source and campaign.
        entry = entry_read(source_id=source_id, campaign_id=campaign_id)
    source = entry.source if entry else Source.objects.filter(pk=source_id).first()
    if source is None:
        raise auth_refused(req, errors.UNKNOWN_SOURCE)
    outcome.source = source
    state = source.publish_state(req.received_at)
    if state != PublishState.PUBLISHED:
        raise IntakeError(_SOURCE_REFUSALS[state])
    if not source_token_valid(source, req.token or "", req.received_at):
        raise auth_refused(req, errors.BAD_TOKEN, source_id=source.pk)
    outcome.authenticated = True
    if req.verbose_key is not None:
        if not source.verbose_key or not hmac.compare_digest(
            req.verbose_key.encode(), source.verbose_key.encode()
        ):
            raise auth_refused(req, errors.BAD_VERBOSE_KEY, source_id=source.pk)
        outcome.verbose = True
    if entry is not None and entry.is_active:
        outcome.entry = entry
        campaign: Campaign | None = entry.campaign
    elif source.internal and campaign_id is not None:
        campaign = Campaign.objects.filter(pk=campaign_id).first()
    else:
        raise IntakeError(errors.NOT_WHITELISTED)
    if campaign is None:
        raise IntakeError(errors.UNKNOWN_CAMPAIGN)
    outcome.campaign = campaign
    state = campaign.publish_state(req.received_at)
    if state != PublishState.PUBLISHED:
        raise IntakeError(_CAMPAIGN_REFUSALS[state])


def _prepare(req: IntakeRequest, outcome: IntakeOutcome, soft: dict[str, str]) -> dict[str, Any]:
    # A single post's body was counted when it was parsed; a batch item is counted here.
    check_field_count(req.payload)
    fields, problems = clean_fields(req.payload)
    soft.update(problems)
    outcome.test = req.test or is_truthy(fields.get("test"))
    # A token in the body wins over the query string and headers (the anchor's order).
    req.token = find_token_in_fields(fields) or req.token or ""
    for key in CONTROL_KEYS:
        fields.pop(key, None)
    outcome.provided = dict(fields)
    if not fields and not problems:
        raise _empty(req.payload)
    if not req.token:
        raise auth_refused(req, errors.NO_TOKEN)
    return fields


def _empty(payload: dict[str, Any]) -> IntakeError:
    """418: nothing posted, or only empty and null values (named, so the sender sees why)."""
    # Cleaned as clean_fields cleans keys: the message is stored in the event (no NUL bytes).
    keys = [k for k in (clean_text(str(key)).lower() for key in payload) if k]
    keys = [k for k in dict.fromkeys(keys) if k not in CONTROL_KEYS]
    if not keys:
        return IntakeError(errors.EMPTY)
    shown = ", ".join(k[:40] for k in keys[:10]) + (", …" if len(keys) > 10 else "")
    return IntakeError(errors.EMPTY_VALUES, message=errors.EMPTY_VALUES.message.format(keys=shown))


def find_token_in_fields(fields: dict[str, Any]) -> str:
    token = fields.get("token")
    if isinstance(token, list):
        token = token[-1] if token else ""
    return token if isinstance(token, str) else ""
