"""Per contact, in plain Python: fields normalised, identity, contact row, real-time offer."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from campaigns.fields import FieldSpec
from finance.models import Cap
from ingest import errors
from ingest.admission import is_scrubbed
from ingest.errors import IntakeError
from ingest.fieldspecs import campaign_field_specs
from ingest.models import Contact, IntakeStatus
from ingest.normalize import normalize_fields
from ingest.pipeline import IntakeOutcome, IntakeRequest
from subscriptions.services import PersonData, RealtimeOffer, realtime_offer

logger = logging.getLogger(__name__)


# The columns the intake sets itself. A campaign field keyed like one of them ("status", say:
# an applicant's) is the partner's data: kept in `custom`, as any other field of the campaign's.
_CONTACT_SET = ("source_id", "campaign_id", "status", "identity_hash", "custom", "created_at")
# The contact's columns a posted value fills (standard fields: email, phone, names, ...).
CONTACT_COLUMNS = frozenset(
    f.name
    for f in Contact._meta.concrete_fields
    if not f.primary_key and f.attname not in _CONTACT_SET
)


def _read_fields(
    fields: dict[str, Any],
    outcome: IntakeOutcome,
    soft: dict[str, str],
    specs: dict[str, FieldSpec] | None = None,
) -> dict[str, Any]:
    """Normalise against the campaign's fields; 422 on required failures, 400 if nothing usable."""
    assert outcome.campaign is not None and outcome.source is not None
    campaign, source = outcome.campaign, outcome.source
    if specs is None:
        digest = getattr(outcome.entry, "fields_digest", None)
        specs = campaign_field_specs(campaign, digest)
    if source.utm_source:
        fields["utm_source"] = source.utm_source
    result = normalize_fields(
        fields, specs, phone_region=campaign.phone_region, timezone=campaign.timezone
    )
    soft.update(result.soft_errors)
    outcome.stored = dict(sorted(result.values.items()))
    if result.required_errors:
        required = {
            # A required value of the wrong shape was dropped when read: say so, not "required".
            key: errors.WRONG_SHAPE.message.format(label=specs[key].label)
            if key in soft and key not in fields
            else message
            for key, message in result.required_errors.items()
        }
        raise IntakeError(errors.REQUIRED_FIELDS, errors={**soft, **required})
    if not any(not specs[key].tracking for key in result.values):
        raise IntakeError(
            errors.NOTHING_USABLE,
            errors={**soft, errors.NOTHING_USABLE.key: errors.NOTHING_USABLE.message},
        )
    return result.values


def identity_of(values: dict[str, Any]) -> str:
    parts = [str(values.get(k) or "") for k in ("email", "phone", "mobile")]
    joined = "|".join(parts).strip().lower()
    return "" if joined == "||" else joined


def identity_hash(identity: str) -> str:
    return hashlib.sha256(identity.encode("utf-8")).hexdigest() if identity else ""


def contact_split(values: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """A contact's values: (Contact's own columns, the rest for `custom`)."""
    columns = {k: v for k, v in values.items() if k in CONTACT_COLUMNS}
    custom = {k: v for k, v in values.items() if k not in CONTACT_COLUMNS}
    return columns, custom


KEPT = frozenset({IntakeStatus.ACCEPTED, IntakeStatus.SCRUBBED})


@dataclass
class Item:
    """One contact through the intake: a single post is a list of one, a batch up to its limit,
    an import chunk its rows. Read and priced here, the same way for all three; then decided
    and written by the single post's statement or the batch's set-based write."""

    req: IntakeRequest
    outcome: IntakeOutcome
    soft: dict[str, str] = field(default_factory=dict)
    values: dict[str, Any] | None = None
    id_hash: str = ""
    price: Decimal = Decimal("0")
    caps: list[Cap] = field(default_factory=list)
    person: PersonData | None = None  # whom a kept item subscribes
    refusal: IntakeError | None = None

    @property
    def live(self) -> bool:
        """Still in the running (read and priced, not refused yet)."""
        return self.values is not None and self.outcome.status in KEPT

    def refuse(self, exc: IntakeError) -> None:
        self.refusal = exc
        refuse(self.outcome, exc, self.soft)


def item_fields_read(
    item: Item, fields: dict[str, Any], specs: dict[str, FieldSpec] | None = None
) -> None:
    """A posted item's fields read against the campaign's (422, 400), then priced; raises the
    refusal (single posts and batches; an import maps its row's values itself)."""
    item_priced(item, _read_fields(fields, item.outcome, item.soft, specs), scrub=True)


def item_priced(item: Item, values: dict[str, Any], *, scrub: bool) -> None:
    """A read item's identity, scrub and price (an import's rows are never scrubbed)."""
    identity = identity_of(values)
    item.values, item.id_hash = values, identity_hash(identity)
    seed = scrub_seed(identity, item.req)
    item.price = scrub_and_price(item.outcome, seed, item.soft, scrub=scrub)


# A contact's row without a model instance (building one cost more than its values): the
# columns the intake sets, then the posted standard fields (a field not posted takes its
# default, as the model's __init__ gives it). The batch writes these tuples with COPY in this
# order; a single post's write statement takes them by name.
_CONTACT_POSTED = tuple(
    (f.attname, f.get_default()) for f in Contact._meta.concrete_fields if f.name in CONTACT_COLUMNS
)
CONTACT_ROW = (*_CONTACT_SET, *(name for name, _default in _CONTACT_POSTED))


def contact_row(
    outcome: IntakeOutcome, values: dict[str, Any], id_hash: str, req: IntakeRequest
) -> tuple[Any, ...]:
    """A kept contact's row, in CONTACT_ROW's order (single posts, batches and imports)."""
    assert outcome.source is not None and outcome.campaign is not None
    columns, custom = contact_split(values)
    return (
        outcome.source.pk,
        outcome.campaign.pk,
        outcome.status,
        id_hash,
        custom,
        req.received_at,
        *[columns.get(name, default) for name, default in _CONTACT_POSTED],
    )


@dataclass
class ContactRow:
    """A single post's decided contact: its row by column (CONTACT_ROW), and its id once the
    write has stored it."""

    values: dict[str, Any]
    pk: int | None = None

    @classmethod
    def build(
        cls, outcome: IntakeOutcome, values: dict[str, Any], id_hash: str, req: IntakeRequest
    ) -> ContactRow:
        return cls(dict(zip(CONTACT_ROW, contact_row(outcome, values, id_hash, req), strict=True)))

    @property
    def source_id(self) -> int:
        return int(self.values["source_id"])

    @property
    def campaign_id(self) -> int:
        return int(self.values["campaign_id"])

    @property
    def status(self) -> str:
        return str(self.values["status"])

    @property
    def identity_hash(self) -> str:
        return str(self.values["identity_hash"])

    @property
    def utm_source(self) -> str:
        return str(self.values["utm_source"])

    @property
    def created_at(self) -> datetime:
        at: datetime = self.values["created_at"]
        return at


def scrub_seed(identity: str, req: IntakeRequest) -> str:
    """The scrub bucket's seed: the identity; without one, the request id (a batch item's
    with its index), so there is nothing to re-post and nothing to game."""
    if identity:
        return identity
    return str(req.request_id) if req.batch_index is None else f"{req.request_id}:{req.batch_index}"


def scrub_and_price(
    outcome: IntakeOutcome, seed: str, soft: dict[str, str], *, scrub: bool = True
) -> Decimal:
    """Scrubbed or accepted, and priced: the entry's cost and the campaign's revenue, none for
    a scrubbed contact (imports are never scrubbed, DESIGN §7). Returns the entry's price,
    which a cap weighs even when the contact is not charged."""
    assert outcome.campaign is not None
    entry = outcome.entry
    scrubbed = scrub and is_scrubbed(seed, entry.scrub_rate if entry else 0)
    outcome.status = IntakeStatus.SCRUBBED if scrubbed else IntakeStatus.ACCEPTED
    outcome.http_status = 200
    price = entry.cost if entry else Decimal("0")
    if not scrubbed:
        outcome.cost = price
        outcome.revenue = outcome.campaign.revenue
    outcome.errors = dict(soft)
    return price


def refuse(outcome: IntakeOutcome, exc: IntakeError, soft: dict[str, str]) -> None:
    """A refused contact: its soft errors and the refusal's, no money (the caller logs it)."""
    outcome.errors = dict(soft)
    outcome.refuse(exc)
    outcome.cost = outcome.revenue = None


def person_of_contact(contact: ContactRow) -> PersonData:
    """The person a stored contact subscribes (a batch's items: their values, the same way)."""
    return PersonData.from_contact_values(contact.values)


REALTIME_REJECTED = "The contact was not accepted by the buyer in real time."


def _offer_real_time(
    req: IntakeRequest, outcome: IntakeOutcome, values: dict[str, Any]
) -> RealtimeOffer | None:
    """A real-time entry: the campaign's primary CRM decides now, before the transaction (a
    slow buyer must not hold its locks). No answer (timeout) accepts; any non-2xx rejects."""
    entry = outcome.entry
    if entry is None or not entry.real_time:
        return None
    offer = realtime_offer(
        campaign_id=entry.campaign_id,
        source_id=entry.source_id,
        person=PersonData.from_contact_values(values),
        at=req.received_at,
    )
    if not offer.accepted:
        outcome.status = IntakeStatus.REJECTED
        outcome.cost = outcome.revenue = None
        outcome.errors["realtime"] = REALTIME_REJECTED
    return offer
