"""Every refusal the intake can answer, in one catalogue.

The partner docs page renders this table, so the page cannot drift from the code.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ingest.models import IntakeStatus


@dataclass(frozen=True)
class IntakeRefusal:
    code: str
    http_status: int
    status: str
    key: str
    message: str


def _plain(template: str) -> str:
    """A message with no placeholders is still a format string (`{{` for a brace, as the docs
    page renders every message with vformat): unescape it for the answer."""
    if any(name is not None for _, name, _, _ in string.Formatter().parse(template)):
        return template
    return template.format()


def duplicate_message(values: dict[str, Any], earlier: datetime, window: str) -> str:
    """The 409's message: which identity fields matched and the earlier contact's date (UTC),
    never their values."""
    names = [key for key in ("email", "phone", "mobile") if values.get(key)] or ["identity"]
    fields = " and ".join(names) if len(names) < 3 else "email, phone and mobile"
    day = earlier.astimezone(UTC).date().isoformat()
    return DUPLICATE.message.format(fields=fields, date=day, window=window)


class IntakeError(Exception):
    """Stops the pipeline with a refusal; `errors` adds per-field detail (422)."""

    def __init__(
        self,
        refusal: IntakeRefusal,
        *,
        errors: dict[str, str] | None = None,
        message: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.refusal = refusal
        self.message = message or _plain(refusal.message)
        self.errors = errors if errors is not None else {refusal.key: self.message}
        self.headers = headers or {}
        if refusal.http_status == 401:
            # RFC 9110: a 401 names how to authenticate. Bearer is one of the ways the intake
            # reads the token (the docs page lists them all; the `token` header is recommended).
            self.headers.setdefault("WWW-Authenticate", 'Bearer realm="contact intake"')
        super().__init__(self.message)


_INVALID = IntakeStatus.INVALID

# Before every other check once an address has failed too often (ingest/throttle.py).
TOO_MANY_FAILURES = IntakeRefusal(
    "too_many_failures",
    429,
    _INVALID,
    "429",
    "Too many requests with a missing or wrong token or an unknown source, from this address or "
    "for this source. Nothing was checked or stored. Retry after the seconds in Retry-After.",
)

# Read before the body: Django refuses to read a query string of more parameters than the
# forms' limit (DATA_UPLOAD_MAX_NUMBER_FIELDS), and the token may be in it.
TOO_MANY_PARAMETERS = IntakeRefusal(
    "too_many_parameters",
    400,
    _INVALID,
    "400",
    "The query string has more than {max_fields} parameters. Send the contact's fields in the "
    "body.",
)
TOO_LARGE = IntakeRefusal(
    "too_large",
    413,
    _INVALID,
    "413",
    "The request body is larger than the limit of {limit} bytes.",
)
TOO_MANY_FIELDS = IntakeRefusal(
    "too_many_fields",
    413,
    _INVALID,
    "413",
    "The request body has more than {max_fields} fields.",
)
LENGTH_REQUIRED = IntakeRefusal(
    "length_required",
    411,
    _INVALID,
    "411",
    "This server cannot read a body of unknown length: send it with a Content-Length header "
    "instead of Transfer-Encoding: chunked.",
)
UNSUPPORTED_TYPE = IntakeRefusal(
    "unsupported_type",
    415,
    _INVALID,
    "415",
    "Unsupported Content-Type. Send application/x-www-form-urlencoded, multipart/form-data "
    "or application/json.",
)
MALFORMED_JSON = IntakeRefusal(
    "malformed_json", 400, _INVALID, "400", "The JSON body could not be parsed: {detail}."
)
MALFORMED_MULTIPART = IntakeRefusal(
    "malformed_multipart",
    400,
    _INVALID,
    "400",
    "The multipart body could not be parsed. Check its boundary and parts.",
)
JSON_NOT_OBJECT = IntakeRefusal(
    "json_not_object",
    400,
    _INVALID,
    "400",
    'The JSON body must be an object of field names to values, such as {{"email": "…"}}.',
)
IDEMPOTENCY_KEY_TOO_LONG = IntakeRefusal(
    "idempotency_key_too_long",
    400,
    _INVALID,
    "Idempotency-Key",
    "The Idempotency-Key header is longer than 255 characters. Send a shorter key, such as a "
    "UUID: a key is never cut.",
)
EMPTY = IntakeRefusal(
    "empty", 418, _INVALID, "418", "No fields were posted. Did you mean to do that?"
)
# Null and empty values are not values (DESIGN §4: empty ones are dropped), so a body of only
# those is as empty as no body: the same 418, naming the keys so the sender sees what happened.
EMPTY_VALUES = IntakeRefusal(
    "empty_values",
    418,
    _INVALID,
    "418",
    "Every posted field was empty or null ({keys}); null counts as not sent. Send at least one "
    "value.",
)
NO_TOKEN = IntakeRefusal(
    "no_token",
    401,
    _INVALID,
    "token",
    'The token was not supplied for this request. Please provide your authentication "token" '
    "with every request (header token: <token>, recommended).",
)
UNKNOWN_SOURCE = IntakeRefusal(
    "unknown_source", 404, _INVALID, "sourceId", "The sourceId specified does not exist."
)
SOURCE_UNPUBLISHED = IntakeRefusal(
    "source_unpublished",
    410,
    _INVALID,
    "sourceId",
    "The sourceId specified has been unpublished (deactivated).",
)
SOURCE_OUTSIDE_WINDOW = IntakeRefusal(
    "source_outside_window",
    410,
    _INVALID,
    "sourceId",
    "The sourceId specified is not published at this time (outside its publishing window).",
)
BAD_TOKEN = IntakeRefusal(
    "bad_token",
    401,
    _INVALID,
    "token",
    "The token specified is invalid. Please request a new token.",
)
BAD_VERBOSE_KEY = IntakeRefusal(
    "bad_verbose_key",
    401,
    _INVALID,
    "verbose",
    "The verbose key passed was not correct. This header should only be used for debugging.",
)
NOT_WHITELISTED = IntakeRefusal(
    "not_whitelisted",
    410,
    _INVALID,
    "campaignId",
    "The campaignId supplied is not currently in the permitted list of campaigns for this source.",
)
UNKNOWN_CAMPAIGN = IntakeRefusal(
    "unknown_campaign", 410, _INVALID, "campaignId", "The campaignId specified does not exist."
)
CAMPAIGN_UNPUBLISHED = IntakeRefusal(
    "campaign_unpublished",
    410,
    _INVALID,
    "campaignId",
    "The campaignId specified has been unpublished (deactivated).",
)
CAMPAIGN_OUTSIDE_WINDOW = IntakeRefusal(
    "campaign_outside_window",
    410,
    _INVALID,
    "campaignId",
    "The campaignId specified is not published at this time (outside its publishing window).",
)
IDEMPOTENCY_KEY_REUSED = IntakeRefusal(
    "idempotency_key_reused",
    422,
    _INVALID,
    "Idempotency-Key",
    "This Idempotency-Key was already used with another body in the last 24 hours (same source, "
    "campaign and test flag). A retry must repeat the first body; a new contact needs a new "
    "key. Nothing was stored.",
)
METHOD_NOT_ALLOWED = IntakeRefusal(
    "method_not_allowed",
    405,
    _INVALID,
    "405",
    "Use POST or PUT to send a contact (GET opens the docs page).",
)
BATCH_METHOD_NOT_ALLOWED = IntakeRefusal(
    "batch_method_not_allowed", 405, _INVALID, "405", "Use POST to send a batch of contacts."
)
# A required field sent as an object or a list of objects (the intake reads plain values): its
# entry in a 422's `errors`, listed on the docs page like every other refusal.
WRONG_SHAPE = IntakeRefusal(
    "wrong_shape",
    422,
    _INVALID,
    "<field>",
    "{label} was sent as a JSON object or list of objects; send one plain value.",
)
# Each missing required field, under its own key. A required field sent with an invalid value
# gets that field's own message instead (the docs page lists them under each campaign).
REQUIRED_FIELDS = IntakeRefusal(
    "required_fields",
    422,
    _INVALID,
    "<field>",
    "{label} is required.",
)
NOTHING_USABLE = IntakeRefusal(
    "nothing_usable",
    400,
    _INVALID,
    "400",
    "There were no valid contact fields in this request. A contact could not be created.",
)
DUPLICATE = IntakeRefusal(
    "duplicate",
    409,
    IntakeStatus.DUPLICATE,
    "409",
    "Rejecting duplicate contact: the same {fields} was already posted to this campaign by this "
    "source on {date}, within the last {window}.",
)
LIMITED = IntakeRefusal(
    "limited",
    429,
    IntakeStatus.LIMITED,
    "429",
    "Cap exceeded: {cap}.",
)
SERVER_ERROR = IntakeRefusal(
    "server_error",
    500,
    IntakeStatus.ERROR,
    "500",
    "An unexpected error occurred and nothing was stored. Please retry later and quote the "
    "request id {request_id} to support.",
)
UNAVAILABLE = IntakeRefusal(
    "unavailable",
    503,
    IntakeStatus.ERROR,
    "503",
    "The service is temporarily unavailable and nothing was stored. Please retry shortly.",
)

# In the order the pipeline checks them (the docs page lists them in this order).
ALL_REFUSALS: tuple[IntakeRefusal, ...] = (
    TOO_MANY_FAILURES,
    TOO_MANY_PARAMETERS,
    LENGTH_REQUIRED,
    TOO_LARGE,
    UNSUPPORTED_TYPE,
    MALFORMED_JSON,
    MALFORMED_MULTIPART,
    JSON_NOT_OBJECT,
    TOO_MANY_FIELDS,
    METHOD_NOT_ALLOWED,
    EMPTY,
    EMPTY_VALUES,
    NO_TOKEN,
    IDEMPOTENCY_KEY_TOO_LONG,
    UNKNOWN_SOURCE,
    SOURCE_UNPUBLISHED,
    SOURCE_OUTSIDE_WINDOW,
    BAD_TOKEN,
    BAD_VERBOSE_KEY,
    NOT_WHITELISTED,
    UNKNOWN_CAMPAIGN,
    CAMPAIGN_UNPUBLISHED,
    CAMPAIGN_OUTSIDE_WINDOW,
    IDEMPOTENCY_KEY_REUSED,
    REQUIRED_FIELDS,
    WRONG_SHAPE,
    NOTHING_USABLE,
    DUPLICATE,
    LIMITED,
    SERVER_ERROR,
    UNAVAILABLE,
)

# The batch route's own refusals (a batch is otherwise refused exactly as a single post).
# The same answer as a single post's, with the batch's own limit.
BATCH_TOO_LARGE = IntakeRefusal(
    "batch_too_large",
    413,
    _INVALID,
    "413",
    TOO_LARGE.message,
)
BATCH_NOT_JSON = IntakeRefusal(
    "batch_not_json",
    415,
    _INVALID,
    "415",
    'A batch must be sent as application/json, with a "contacts" list of contact objects.',
)
BATCH_SHAPE = IntakeRefusal(
    "batch_shape",
    400,
    _INVALID,
    "contacts",
    'A batch needs a "contacts" list of contact objects.',
)
BATCH_TOO_MANY = IntakeRefusal(
    "batch_too_many",
    413,
    _INVALID,
    "413",
    "A batch may hold at most {limit} contacts; this one has {count}. Split it and send the "
    "parts one after another. Nothing was stored.",
)
ITEM_NOT_OBJECT = IntakeRefusal(
    "item_not_object",
    400,
    _INVALID,
    "400",
    "This item is not a contact object of field names to values. It was ignored.",
)

BATCH_REFUSALS: tuple[IntakeRefusal, ...] = (
    BATCH_METHOD_NOT_ALLOWED,
    BATCH_TOO_LARGE,
    BATCH_NOT_JSON,
    BATCH_SHAPE,
    BATCH_TOO_MANY,
    ITEM_NOT_OBJECT,
)
