"""What the partner docs page says, built from the code that does it (so the page cannot drift).

Campaigns and fields come from the whitelist and `field_specs_for`, errors from
`ingest.errors`, field messages from the normalisers, response bodies from `outcome_body`.
"""

from __future__ import annotations

import json
import string
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.urls import reverse

from campaigns.fields import STANDARD_FIELDS, FieldSpec, field_specs_for
from campaigns.models import Campaign
from campaigns.types import FieldType
from ingest import errors
from ingest.errors import IntakeError, IntakeRefusal
from ingest.models import IntakeStatus
from ingest.normalize import REQUIRED_MESSAGE, NormalizeContext, normalize_fields
from ingest.pipeline import IntakeOutcome
from ingest.responses import outcome_body
from partnerdocs.examples import (
    TYPE_EXAMPLES,
    CodeExample,
    code_examples,
    example_payload,
    example_value,
    json_payload,
)
from sources.models import Source, SourceCampaign

EXAMPLE_REQUEST_ID = uuid.UUID("0b7c1a52-5f0e-4d4c-9a55-3c2f1e6d8a90")
# What each placeholder of a catalogue message stands for on the page. Caps are not disclosed.
PLACEHOLDERS = {
    "detail": "<what is wrong>",
    "window": "<the duplicate window, e.g. 30 days>",
    "cap": "<the limit that was reached>",
    "request_id": "<the request id>",
    "count": "<the number sent>",
    "fields": "<email, phone or mobile: the identity fields that matched>",
    "date": "<the earlier contact's date, UTC>",
    "keys": "<the keys posted>",
    "label": "<the field's label>",
}
# A value the intake refuses, per type: the page shows the real message it produces.
BAD_VALUES: dict[str, str] = {
    FieldType.TEXT: "x" * 300,
    FieldType.EMAIL: "greg.scott@",
    FieldType.TEL: "12",
    FieldType.NUMBER: "many",
    FieldType.BOOLEAN: "maybe",
    FieldType.DATE: "someday",
    FieldType.DATETIME: "someday",
    FieldType.SELECT: "none-of-these",
    FieldType.MULTISELECT: "|",
    FieldType.URL: "ftp://example.com/file",
    FieldType.COUNTRY: "Atlantis",
    FieldType.REGION: "ZZZ",
    FieldType.ZIPCODE: "!!",
    FieldType.IP: "999.1.1.1",
}
TYPE_FORMATS: dict[str, str] = {
    FieldType.TEXT: "Up to 255 characters (2,000 for user_agent, url, referer).",
    FieldType.EMAIL: "An email address (syntax checked).",
    FieldType.TEL: "A phone number: E.164 (+1…) or national in the campaign's region.",
    FieldType.NUMBER: "A number such as 42 or 13.75.",
    FieldType.BOOLEAN: "true/false, 1/0, yes/no or on/off.",
    FieldType.DATE: "2010-03-15, 03/15/2010, 2010/03/15 or 03-15-2010.",
    FieldType.DATETIME: "ISO 8601 (2010-03-15T12:15:32Z) or 03/15/2010 12:15:32; "
    "without a zone, the campaign's timezone.",
    FieldType.SELECT: "One of the allowed values (case does not matter).",
    FieldType.MULTISELECT: "Allowed values separated by | (or a JSON list, or the key repeated).",
    FieldType.URL: "An http or https URL.",
    FieldType.COUNTRY: "An ISO code (US, USA) or a country name.",
    FieldType.REGION: "A region code or name of the contact's country (FL or Florida).",
    FieldType.ZIPCODE: "A postal code (US: 12345 or 12345-6789; CA: A1A 1A1).",
    FieldType.IP: "An IPv4 or IPv6 address (the first of a comma list is used).",
}


class _Placeholders(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return f"<{key}>"


# The limits a message names are public: a partner needs them to stay within them.
_LIMITS = {
    "batch_too_large": "INTAKE_MAX_BATCH_BODY_BYTES",
    "batch_too_many": "INTAKE_MAX_BATCH_ITEMS",
}


def refusal_message(refusal: IntakeRefusal) -> str:
    values = _Placeholders(PLACEHOLDERS)
    values["limit"] = str(getattr(settings, _LIMITS.get(refusal.code, "INTAKE_MAX_BODY_BYTES")))
    values["max_fields"] = str(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS)
    return string.Formatter().vformat(refusal.message, (), values)


@dataclass(frozen=True)
class ErrorRow:
    http_status: int
    status: str
    key: str
    message: str


def error_rows(*, batch: bool = False) -> list[ErrorRow]:
    """The errors table: every refusal of a single post, or (`batch`) the batch route's own."""
    refusals = errors.BATCH_REFUSALS if batch else errors.ALL_REFUSALS
    return [ErrorRow(r.http_status, r.status, r.key, refusal_message(r)) for r in refusals]


@dataclass(frozen=True)
class FieldRow:
    key: str
    label: str
    type: str
    required: bool
    choices: tuple[str, ...]
    example: str


@dataclass
class CampaignDoc:
    id: int
    name: str
    description: str
    url: str
    batch_url: str
    page_url: str
    own_fields: list[FieldRow]
    other_fields: list[FieldRow]
    required: list[str]
    payload: dict[str, str]
    json_payload: dict[str, Any]
    examples: list[CodeExample] = field(default_factory=list)
    field_errors: list[tuple[str, str, str]] = field(default_factory=list)
    specs: dict[str, FieldSpec] = field(default_factory=dict)
    campaign: Campaign | None = None
    phone_region: str = ""


def absolute(path: str) -> str:
    """Absolute URLs from the configured public base, never from the request's Host header."""
    return f"{settings.PUBLIC_BASE_URL}{path}"


def _row(spec: FieldSpec, ctx: NormalizeContext) -> FieldRow:
    return FieldRow(
        spec.key,
        spec.label,
        spec.type,
        spec.required,
        spec.choices,
        example_value(spec, ctx) or "",
    )


def _context(campaign: Campaign) -> NormalizeContext:
    region = campaign.phone_region
    return NormalizeContext(phone_region=region, timezone=campaign.timezone, country=region)


def _field_errors(campaign: Campaign, own: list[FieldSpec]) -> list[tuple[str, str, str]]:
    """The real message each of the campaign's own fields gives for a bad value."""
    rows = []
    for spec in own:
        bad = BAD_VALUES.get(spec.type)
        if bad is None:
            continue
        result = normalize_fields(
            {spec.key: bad},
            {spec.key: spec},
            phone_region=campaign.phone_region,
            timezone=campaign.timezone,
        )
        message = result.required_errors.get(spec.key) or result.soft_errors.get(spec.key)
        if message:
            shown = bad if len(bad) <= 40 else f"{bad[:12]}… ({len(bad)} characters)"
            rows.append((spec.key, shown, message))
    return rows


def campaign_doc(source: Source, campaign: Campaign, token: str) -> CampaignDoc:
    own_fields = list(campaign.fields.all())
    specs = field_specs_for(own_fields)
    own = [specs[f.key] for f in own_fields]
    own_keys = [spec.key for spec in own]
    ctx = _context(campaign)
    args = [source.pk, campaign.pk]
    url = absolute(reverse("ingest:contact", args=args)) + "/contact"
    payload = example_payload(own_keys, specs, ctx)
    typed = json_payload(payload, specs)
    return CampaignDoc(
        id=campaign.pk,
        name=campaign.name,
        description=campaign.description,
        url=url,
        batch_url=url + "s",
        page_url=absolute(reverse("ingest:contact", args=args)),
        own_fields=[_row(spec, ctx) for spec in own],
        other_fields=[_row(s, ctx) for k, s in STANDARD_FIELDS.items() if k not in own_keys],
        required=[key for key, spec in specs.items() if spec.required],
        payload=payload,
        json_payload=typed,
        examples=code_examples(url, token, payload, typed),
        field_errors=_field_errors(campaign, own),
        specs=specs,
        campaign=campaign,
        phone_region=campaign.phone_region,
    )


@dataclass(frozen=True)
class ResponseExample:
    title: str
    explanation: str
    http_status: int
    headers: dict[str, str]
    body: str


def _example(outcome: IntakeOutcome, title: str, explanation: str) -> ResponseExample:
    body = outcome_body(outcome)
    body["time"]["duration"] = 0.042
    return ResponseExample(
        title,
        explanation,
        outcome.http_status,
        outcome.headers,
        json.dumps(body, sort_keys=True, indent=2, ensure_ascii=False),
    )


def _outcome(doc: CampaignDoc, source: Source, *, authenticated: bool = True) -> IntakeOutcome:
    outcome = IntakeOutcome(request_id=EXAMPLE_REQUEST_ID)
    outcome.source, outcome.campaign = source, doc.campaign
    outcome.authenticated = authenticated
    return outcome


def _kept(doc: CampaignDoc, source: Source, status: str, soft: dict[str, str]) -> IntakeOutcome:
    outcome = _outcome(doc, source)
    outcome.status, outcome.http_status, outcome.errors = status, 200, soft
    outcome.contact_id = 123456 if status == IntakeStatus.ACCEPTED else None
    return outcome


def _refused(
    doc: CampaignDoc, source: Source, exc: IntakeError, *, authenticated: bool = True
) -> IntakeOutcome:
    outcome = _outcome(doc, source, authenticated=authenticated)
    outcome.refuse(exc)
    return outcome


def response_examples(source: Source, doc: CampaignDoc) -> list[ResponseExample]:
    """One answer per outcome, produced by the intake's own response code."""
    assert doc.campaign is not None
    typo = normalize_fields(
        {"emial": "x"}, doc.specs, phone_region=doc.campaign.phone_region, timezone="UTC"
    )
    missing = normalize_fields(
        {}, doc.specs, phone_region=doc.campaign.phone_region, timezone="UTC"
    ).required_errors or {"email": REQUIRED_MESSAGE.format(label=STANDARD_FIELDS["email"].label)}
    window = errors.DUPLICATE.message.format(window="30 days", fields="email", date="2026-01-31")
    cap = errors.LIMITED.message.format(cap=PLACEHOLDERS["cap"])
    return [
        _example(
            _kept(doc, source, IntakeStatus.ACCEPTED, {}),
            "Accepted",
            "The contact was taken: success is true and contact.id is its id.",
        ),
        _example(
            _kept(doc, source, IntakeStatus.ACCEPTED, typo.soft_errors),
            "Accepted, with a field ignored",
            "Soft errors name fields that were dropped; the contact was still taken.",
        ),
        _example(
            _kept(doc, source, IntakeStatus.REJECTED, {}),
            "Rejected",
            "The contact was received but not accepted (not charged). Do not resend it.",
        ),
        _example(
            _refused(doc, source, IntakeError(errors.REQUIRED_FIELDS, errors=missing)),
            "Invalid: required fields",
            "Every missing or invalid required field is listed under its key.",
        ),
        _example(
            _refused(doc, source, IntakeError(errors.DUPLICATE, message=window)),
            "Duplicate",
            "The same email or phone was posted to this campaign recently.",
        ),
        _example(
            _refused(
                doc,
                source,
                IntakeError(errors.LIMITED, message=cap, headers={"Retry-After": "3600"}),
            ),
            "Limited",
            "A limit was reached; Retry-After says in how many seconds to try again.",
        ),
        _example(
            _refused(doc, source, IntakeError(errors.BAD_TOKEN), authenticated=False),
            "Invalid: bad token",
            "Without a valid token the answer names neither the source nor the campaign.",
        ),
    ]


def type_rows(docs: list[CampaignDoc]) -> list[tuple[str, str, str]]:
    """The field types used on this page: name, accepted formats, an example value."""
    used = {row.type for doc in docs for row in [*doc.own_fields, *doc.other_fields]}
    return [
        (value, TYPE_FORMATS.get(value, ""), TYPE_EXAMPLES.get(value, ""))
        for value in FieldType.values
        if value in used
    ]


def mask_email(address: str) -> str:
    local, _, domain = address.partition("@")
    return f"{local[:1]}•••@{domain}" if domain else "•••"


def docs_campaigns(
    entries: list[SourceCampaign], source: Source, token: str, only: int | None = None
) -> list[CampaignDoc]:
    return [
        campaign_doc(source, entry.campaign, token)
        for entry in entries
        if only is None or entry.campaign_id == only
    ]


def notification_info(source: Source) -> Mapping[str, Any]:
    return {
        "email": mask_email(source.notification_email) if source.notification_email else "",
        "url": source.notification_url,
        "secret": source.notification_secret if source.notification_url else "",
    }
