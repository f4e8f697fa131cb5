"""Subscribing a contact's person to its campaign, and opting out."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.db import connection, transaction
from django.utils import timezone

from subscriptions.models import EventType, OptOutReason, Person, Subscription
from subscriptions.selectors import person_find
from subscriptions.services.outbox import outbox_write

if TYPE_CHECKING:
    import uuid

    from subscriptions.services.realtime import RealtimeOffer


@dataclass(frozen=True)
class PersonData:
    """What a contact tells us about its person (plain values: subscriptions never read ingest)."""

    mobile_phone: str | None = None
    email: str = ""
    first_name: str = ""
    last_name: str = ""

    @classmethod
    def from_contact_values(cls, values: Mapping[str, Any]) -> PersonData:
        # Leads often carry the cell number in "phone": it is the MDN when "mobile" is empty.
        mobile = str(values.get("mobile") or values.get("phone") or "").strip()
        return cls(
            mobile_phone=mobile or None,
            email=str(values.get("email") or "").strip(),
            first_name=str(values.get("firstname") or "").strip()[:255],
            last_name=str(values.get("lastname") or "").strip()[:255],
        )


def _insert_unless_conflict(person: Person) -> bool:
    """Insert the person unless another transaction just took its mobile phone.

    `INSERT … ON CONFLICT DO NOTHING RETURNING id` is one round trip on the intake's hot path,
    where a savepoint around a plain INSERT would cost three; Django's bulk_create cannot
    return the id of an ignored row, so it cannot tell the two cases apart.
    """
    meta = Person._meta
    fields = [f for f in meta.concrete_fields if not f.primary_key]
    quote = connection.ops.quote_name
    values = [f.get_db_prep_save(f.pre_save(person, add=True), connection) for f in fields]
    table, pk = quote(meta.db_table), quote(str(meta.pk.column))
    columns = ", ".join(quote(str(f.column)) for f in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    # Identifiers come from model metadata, values are parameters.
    sql = (
        f"INSERT INTO {table} ({columns}) VALUES ({placeholders}) "  # noqa: S608
        f"ON CONFLICT DO NOTHING RETURNING {pk}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        row = cursor.fetchone()
    if row is None:
        return False
    person.pk = row[0]
    person._state.adding = False
    person._state.db = connection.alias
    return True


def person_blanks_fill(person: Person, data: PersonData) -> list[str]:
    """A contact completes a person but never overwrites what is known (the CRM may own it).
    Sets the blanks it can, without saving; returns their names."""
    changed = []
    for name, value in (
        ("mobile_phone", data.mobile_phone),
        ("email", data.email),
        ("first_name", data.first_name),
        ("last_name", data.last_name),
    ):
        if value and not getattr(person, name):
            setattr(person, name, value)
            changed.append(name)
    return changed


def _fill_blanks(person: Person, data: PersonData) -> None:
    changed = person_blanks_fill(person, data)
    if changed:
        person.save(update_fields=[*changed, "updated_at"])


def _person_for_contact(data: PersonData, *, public_id: uuid.UUID | None) -> tuple[Person, bool]:
    """Merge into the person with this mobile phone, then email; else create one."""
    person = person_find(mobile_phone=data.mobile_phone, email=data.email, lock=True)
    if person is None:
        person = Person(
            mobile_phone=data.mobile_phone,
            email=data.email,
            first_name=data.first_name,
            last_name=data.last_name,
        )
        if public_id is not None:
            person.public_id = public_id
        if _insert_unless_conflict(person):
            return person, True
        # A concurrent intake created the same mobile phone's person first: merge into it.
        person = person_find(mobile_phone=data.mobile_phone, email=data.email, lock=True)
        assert person is not None
    _fill_blanks(person, data)
    return person, False


def _subscribe(
    person: Person,
    *,
    is_new_person: bool,
    campaign_id: int,
    source_id: int | None,
    contact_id: int | None,
    at: datetime,
) -> Subscription:
    # The person row is locked (or new and unseen by others), so check-then-insert is safe.
    existing = (
        None
        if is_new_person
        else Subscription.objects.filter(person=person, campaign_id=campaign_id).first()
    )
    if existing is None:
        subscription = Subscription(
            person=person,
            campaign_id=campaign_id,
            acquisition_source_id=source_id,
            contact_id=contact_id,
            opt_in_date=at,
        )
        subscription.save(force_insert=True)
        return subscription
    if not existing.is_active:
        # Back on the list: a new opt-in, credited to the source that brought them back.
        existing.opt_in_date = at
        existing.opt_out_date = None
        existing.opt_out_reason = ""
        existing.acquisition_source_id = source_id
        existing.contact_id = contact_id
        existing.save()
    return existing


def contact_subscribe(
    *,
    contact_id: int | None,
    campaign_id: int,
    source_id: int | None,
    person: PersonData,
    at: datetime,
    offer: RealtimeOffer | None = None,
    endpoint_ids: list[int] | None = None,
) -> Subscription:
    """An accepted or scrubbed contact: merge its person, subscribe it, write the callbacks.

    Runs inside the caller's transaction (the intake's) without a savepoint. Every call writes
    a subscription_added event, even for a person already on the list: the buyer gets every
    contact it was sold, and dedupes on event_id only within one event's retries.
    """
    with transaction.atomic(savepoint=False):
        new_id = offer.person_public_id if offer is not None and offer.person_is_new else None
        found, created = _person_for_contact(person, public_id=new_id)
        subscription = _subscribe(
            found,
            is_new_person=created,
            campaign_id=campaign_id,
            source_id=source_id,
            contact_id=contact_id,
            at=at,
        )
        outbox_write(
            subscription=subscription,
            person=found,
            event_type=EventType.SUBSCRIPTION_ADDED,
            event_date=at,
            contact_id=contact_id,
            offer=offer,
            endpoint_ids=endpoint_ids,
            dispatched=True,  # the intake's: the dispatcher sends them (services/dispatch.py)
        )
    return subscription


@transaction.atomic
def subscription_opt_out(
    *,
    subscription_id: int,
    reason: str = OptOutReason.USER_OPT_OUT,
    at: datetime | None = None,
) -> tuple[Subscription, bool]:
    """End a subscription and send subscription_removed; returns it and whether it changed.

    Opting out twice is harmless: the second call changes nothing and sends nothing.
    """
    subscription = (
        Subscription.objects.select_for_update(of=("self",))
        .select_related("person")
        .get(pk=subscription_id)
    )
    if not subscription.is_active:
        return subscription, False
    subscription.opt_out_date = at or timezone.now()
    subscription.opt_out_reason = OptOutReason(reason).value
    subscription.save(update_fields=["opt_out_date", "opt_out_reason", "updated_at"])
    outbox_write(
        subscription=subscription,
        person=subscription.person,
        event_type=EventType.SUBSCRIPTION_REMOVED,
        event_date=subscription.opt_out_date,
    )
    return subscription, True
