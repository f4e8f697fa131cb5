"""Subscribing a batch intake's contacts: the rules of `contact_subscribe`, a few statements.

A batch of 1,000 contacts must not pay 1,000 times (find and lock the person, insert it, insert the
subscription, look up the endpoints, insert the deliveries). `PersonsBatch` locks every person a
batch may merge into at once (call it before taking caps: the single post's lock order), then
`merge` merges the kept contacts' persons in their order, with the same merge rule
(`person_pick`: mobile phone first, then email), and `Subscribing.write` subscribes them and
writes their callbacks in one INSERT.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection
from django.db.models import Model
from django.utils import timezone

from contactsource.bulk import bulk_insert_rows
from subscriptions.models import (
    CallbackDelivery,
    CallbackEndpoint,
    EventType,
    Person,
    Subscription,
)
from subscriptions.payloads import subscription_object, subscription_payload
from subscriptions.selectors import endpoints_for, person_pick
from subscriptions.services.outbox import deliveries_announce, retry_window_end
from subscriptions.services.subscribing import PersonData, person_blanks_fill


class PersonsBatch:
    """The persons a batch's contacts may merge into, locked in id order (as person_candidates)."""

    def __init__(self, people: list[PersonData]) -> None:
        mobiles = sorted({p.mobile_phone for p in people if p.mobile_phone})
        emails = sorted({p.email for p in people if p.email})
        self.by_mobile: dict[str, list[Person]] = {}
        self.by_email: dict[str, list[Person]] = {}
        if mobiles or emails:
            # Arrays, not IN lists: a thousand parameters cost more to build than to run.
            found = Person.objects.raw(
                "SELECT * FROM subscriptions_person WHERE mobile_phone = ANY(%s) "
                "OR email = ANY(%s) ORDER BY id FOR UPDATE",
                [mobiles, emails],
            )
            for person in found:
                self._index(person)

    def _index(self, person: Person) -> None:
        if person.mobile_phone:
            self.by_mobile.setdefault(person.mobile_phone, []).append(person)
        if person.email:
            self.by_email.setdefault(person.email, []).append(person)

    def _index_one(self, person: Person, name: str) -> None:
        index = self.by_mobile if name == "mobile_phone" else self.by_email
        index.setdefault(getattr(person, name), []).append(person)

    def _person_for(self, data: PersonData, created: list[Person]) -> tuple[Person, bool]:
        # person_pick over this contact's candidates only (in id order, as person_candidates).
        candidates = sorted(
            {
                id(p): p
                for p in [
                    *self.by_mobile.get(data.mobile_phone or "", []),
                    *self.by_email.get(data.email, []),
                ]
            }.values(),
            key=lambda p: (p.pk is None, p.pk or 0),
        )
        found = person_pick(candidates, mobile_phone=data.mobile_phone, email=data.email)
        if found is not None:
            return found, False
        person = Person(
            mobile_phone=data.mobile_phone,
            email=data.email,
            first_name=data.first_name,
            last_name=data.last_name,
        )
        # Later contacts of the batch merge into it, as they would into a committed one.
        self._index(person)
        created.append(person)
        return person, True

    def merge(self, people: list[PersonData], *, campaign_id: int) -> Subscribing:
        """Merge each kept contact's person in their order, as `contact_subscribe` does for
        each of them in turn, and read what writing them needs: every statement of the
        subscribing but the inserts, so that those can run after the batch's ids are drawn
        (`Subscribing.write`)."""
        created: list[Person] = []
        picked: list[tuple[PersonData, Person, bool]] = []
        filled: dict[int, Person] = {}
        for data in people:
            person, new = self._person_for(data, created)
            if not new:
                # Filled now, so the batch's next contacts find it by what it just learnt.
                for name in _fill_blanks_later(person, data):
                    if name in ("mobile_phone", "email"):
                        self._index_one(person, name)
                if person.pk is not None:
                    filled[person.pk] = person
            picked.append((data, person, new))
        for person in filled.values():
            _save_blanks(person)
        known = list({p.pk: p for _d, p, new in picked if not new and p.pk is not None})
        existing = {
            s.person_id: s
            for s in (
                ()
                if not known
                else Subscription.objects.raw(
                    "SELECT * FROM subscriptions_subscription "
                    "WHERE campaign_id = %s AND person_id = ANY(%s)",
                    [campaign_id, known],
                )
            )
        }
        event_type = EventType.SUBSCRIPTION_ADDED
        endpoints = endpoints_for(campaign_id=campaign_id, event_type=event_type)
        if endpoints and picked:
            # It wakes the dispatchers at COMMIT, wherever in the transaction it is sent.
            deliveries_announce()
        return Subscribing(created, picked, existing, endpoints, event_type)


class Subscribing:
    """A batch's merged persons, written by `write` once the contacts' ids are known."""

    def __init__(
        self,
        created: list[Person],
        picked: list[tuple[PersonData, Person, bool]],
        existing: dict[int, Subscription],
        endpoints: list[CallbackEndpoint],
        event_type: str,
    ) -> None:
        self.created, self.picked, self.existing = created, picked, existing
        self.endpoints, self.event_type = endpoints, event_type

    def counts(self) -> dict[type[Model], int]:
        """The rows `write` inserts, by model."""
        fresh = {id(p) for _d, p, _n in self.picked if self.existing.get(p.pk) is None}
        return {
            Person: len(self.created),
            Subscription: len(fresh),
            CallbackDelivery: len(self.picked) * len(self.endpoints),
        }

    def write(
        self, contact_ids: list[int], *, campaign_id: int, source_id: int, at: datetime
    ) -> None:
        """Insert the new persons, subscribe each contact (`contact_ids`, in the order of the
        merge) and write one subscription_added per contact and endpoint."""
        _persons_insert(self.created)
        # Each contact's subscription: one that exists, or the place of a new row (written
        # below without instances; a later contact of the same person shares it).
        subscriptions: list[Subscription | int] = []
        new_rows: list[tuple[int, int, int, int, datetime]] = []
        new_of: dict[int, int] = {}
        reopened = []
        for cid, (_data, person, _new) in zip(contact_ids, self.picked, strict=True):
            subscription = self.existing.get(person.pk)
            if subscription is None:
                if person.pk not in new_of:
                    new_of[person.pk] = len(new_rows)
                    new_rows.append((person.pk, campaign_id, source_id, cid, at))
                subscriptions.append(new_of[person.pk])
                continue
            if not subscription.is_active:
                subscription.opt_in_date = at
                subscription.opt_out_date = None
                subscription.opt_out_reason = ""
                subscription.acquisition_source_id = source_id
                subscription.contact_id = cid
                reopened.append(subscription)
            subscriptions.append(subscription)
        new_ids = bulk_insert_rows(Subscription, _SUBSCRIPTION_COLUMNS, new_rows)
        if reopened:
            Subscription.objects.bulk_update(
                reopened,
                [
                    "opt_in_date",
                    "opt_out_date",
                    "opt_out_reason",
                    "acquisition_source_id",
                    "contact_id",
                    "updated_at",
                ],
            )
        written = [
            _Subscribed(pk=new_ids[s], campaign_id=campaign_id, source_id=source_id, opt_in=at)
            if isinstance(s, int)
            else s
            for s in subscriptions
        ]
        self._outbox(contact_ids, written, at=at)

    def _outbox(
        self,
        contact_ids: list[int],
        subscriptions: list[Subscription | _Subscribed],
        *,
        at: datetime,
    ) -> None:
        if not self.endpoints:
            return
        now = timezone.now()
        until = retry_window_end(now)
        event_type = self.event_type
        rows: list[tuple[Any, ...]] = []
        for cid, (_data, person, _new), subscription in zip(
            contact_ids, self.picked, subscriptions, strict=True
        ):
            if isinstance(subscription, Subscription):
                payload = subscription_payload(subscription, person, include_opt_out=False)
            else:
                payload = subscription.payload(person)
            event_id = uuid.uuid4()
            # enqueued_at None: unsent, the dispatcher's after COMMIT's NOTIFY.
            rows.extend(
                (endpoint.pk, subscription.pk, event_id, event_type, at, payload, cid, now, until)
                for endpoint in self.endpoints
            )
        bulk_insert_rows(CallbackDelivery, _DELIVERY_COLUMNS, rows)


# The instances' own values, as bulk_insert would have read them; the timestamps are the COPY's.
_PERSON_COLUMNS = (
    "public_id",
    "external_id",
    "mobile_phone",
    "email",
    "first_name",
    "last_name",
    "custom_fields",
)
_SUBSCRIPTION_COLUMNS = (
    "person_id",
    "campaign_id",
    "acquisition_source_id",
    "contact_id",
    "opt_in_date",
)
_DELIVERY_COLUMNS = (
    "endpoint_id",
    "subscription_id",
    "event_id",
    "event_type",
    "event_date",
    "payload",
    "contact_id",
    "next_attempt_at",
    "retry_until",
)


@dataclass(frozen=True)
class _Subscribed:
    """A subscription the batch just wrote (a row of _SUBSCRIPTION_COLUMNS, never opted out)."""

    pk: int
    campaign_id: int
    source_id: int
    opt_in: datetime

    def payload(self, person: Person) -> dict[str, Any]:
        # subscription_payload of the same row: a new subscription has no opt-out.
        return subscription_object(
            person_public_id=person.public_id,
            person_external_id=person.external_id,
            campaign_id=self.campaign_id,
            source_id=self.source_id,
            opt_in_date=self.opt_in,
            include_opt_out=False,
        )


def _persons_insert(created: list[Person]) -> None:
    if not created:
        return
    # The candidates are locked, but a concurrent intake may have just created a person
    # with one of these mobile phones: then the whole batch fails (500, nothing stored) rather
    # than merging wrongly; the client retries it and the retry merges.
    rows = [tuple(getattr(p, name) for name in _PERSON_COLUMNS) for p in created]
    ids = bulk_insert_rows(Person, _PERSON_COLUMNS, rows)
    for person, new_id in zip(created, ids, strict=True):
        person.pk = new_id
        person._state.adding = False
        person._state.db = connection.alias


def _fill_blanks_later(person: Person, data: PersonData) -> list[str]:
    """`person_blanks_fill`, remembering every name filled so far for `_save_blanks` (one
    UPDATE per person once the batch is decided); returns the names filled now."""
    changed: set[str] = getattr(person, "_batch_changed", set())
    now = person_blanks_fill(person, data)
    changed.update(now)
    person._batch_changed = changed  # type: ignore[attr-defined]
    return now


def _save_blanks(person: Person) -> None:
    changed = sorted(getattr(person, "_batch_changed", set()))
    if changed:
        person.save(update_fields=[*changed, "updated_at"])
