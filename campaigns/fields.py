"""The fields a campaign accepts: standard contact columns plus the campaign's own fields."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from campaigns.types import FieldType

if TYPE_CHECKING:
    from campaigns.models import CampaignField


@dataclass(frozen=True)
class FieldSpec:
    key: str
    label: str
    type: str
    required: bool = False
    choices: tuple[str, ...] = ()
    example: str = ""
    # Standard fields are Contact columns; the others go to Contact.custom.
    standard: bool = False
    # Tracking fields alone do not make a contact (an IP and a utm_source are not a lead).
    tracking: bool = False


def _std(key: str, label: str, type_: str, example: str, *, tracking: bool = False) -> FieldSpec:
    return FieldSpec(key, label, type_, example=example, standard=True, tracking=tracking)


STANDARD_FIELDS: dict[str, FieldSpec] = {
    spec.key: spec
    for spec in (
        _std("firstname", "First name", FieldType.TEXT, "Greg"),
        _std("lastname", "Last name", FieldType.TEXT, "Scott"),
        _std("email", "Email", FieldType.EMAIL, "greg.scott@example.com"),
        _std("phone", "Phone", FieldType.TEL, "+17272870426"),
        _std("mobile", "Mobile phone", FieldType.TEL, "+17272870426"),
        _std("address1", "Address line 1", FieldType.TEXT, "100 Main St"),
        _std("address2", "Address line 2", FieldType.TEXT, "Apt 4"),
        _std("city", "City", FieldType.TEXT, "Tampa"),
        _std("state", "State / region", FieldType.REGION, "FL"),
        _std("zipcode", "Zip / postal code", FieldType.ZIPCODE, "33602"),
        _std("country", "Country", FieldType.COUNTRY, "US"),
        _std("external_id", "Your id for this contact", FieldType.TEXT, "lead-1234"),
        _std("ip", "IP address of the person", FieldType.IP, "203.0.113.7", tracking=True),
        _std("utm_source", "UTM source", FieldType.TEXT, "newsletter", tracking=True),
        _std("utm_medium", "UTM medium", FieldType.TEXT, "email", tracking=True),
        _std("utm_campaign", "UTM campaign", FieldType.TEXT, "spring", tracking=True),
        _std("utm_content", "UTM content", FieldType.TEXT, "banner-a", tracking=True),
        _std("utm_term", "UTM term", FieldType.TEXT, "insurance", tracking=True),
        _std("user_agent", "User agent", FieldType.TEXT, "Mozilla/5.0", tracking=True),
        _std("url", "Page URL", FieldType.URL, "https://example.com/landing", tracking=True),
        _std("referer", "Referring URL", FieldType.URL, "https://example.com/", tracking=True),
    )
}

# Keys that steer the request rather than describe the contact; never stored as fields.
CONTROL_KEYS = frozenset({"token", "test", "sourceid", "campaignid"})


def field_specs_for(campaign_fields: Iterable[CampaignField]) -> dict[str, FieldSpec]:
    """Standard fields, overlaid by the campaign's own definitions (type, required, choices)."""
    specs = dict(STANDARD_FIELDS)
    for field in campaign_fields:
        base = STANDARD_FIELDS.get(field.key)
        specs[field.key] = FieldSpec(
            key=field.key,
            label=field.label or (base.label if base else field.key),
            # A standard column keeps its type: its storage depends on it.
            type=base.type if base else field.type,
            required=field.required,
            choices=tuple(str(c) for c in (field.choices or [])),
            example=field.example or (base.example if base else ""),
            standard=base is not None,
            tracking=base.tracking if base else False,
        )
    return specs
