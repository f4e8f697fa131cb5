"""Subscribing a batch intake's contacts: the rules of `contact_subscribe`, a few statements.

A batch of 1,000 contacts must not pay 1,000 times (find and lock the person, insert it, insert the
subscription, look up the endpoints, insert the deliveries). `PersonsBatch` locks every person a
batch may merge into at once (call it before taking caps: the single post's lock order), then
`subscribe` merges and subscribes the kept contacts in their order, with the same merge rule
(`person_pick`: mobile phone first, then email), and writes their callbacks in one INSERT.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from django.utils import timezone

from contactsource.bulk import bulk_insert
from subscriptions.models import CallbackDelivery, EventType, Person, Subscription
from subscriptions.payloads import subscription_payload
from subscriptions.selectors import endpoints_for, person_pick
from subscriptions.services.dispatch import deliveries_announce
from subscriptions.services.outbox import retry_window_end
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

    def subscribe(
        self,
        contacts: list[tuple[int, PersonData]],
        *,
        campaign_id: int,
        source_id: int,
        at: datetime,
    ) -> list[Subscription]:
        """Merge, subscribe and write one subscription_added per contact (in the caller's
        transaction), as `contact_subscribe` does for each of them in turn."""
        created: list[Person] = []
        picked = []
        filled: dict[int, Person] = {}
        for cid, data in contacts:
            person, new = self._person_for(data, created)
            if not new:
                # Filled now, so the batch's next contacts find it by what it just learnt.
                for name in _fill_blanks_later(person, data):
                    if name in ("mobile_phone", "email"):
                        self._index_one(person, name)
                if person.pk is not None:
                    filled[person.pk] = person
            picked.append((cid, data, person, new))
        self._insert(created)
        merged = {id(p): p for _c, _d, p, new in picked if not new and p.pk is not None}
        for person in filled.values():
            _save_blanks(person)
        known = [p.pk for p in merged.values()]
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
        subscriptions, new_rows, reopened = [], [], []
        for cid, _data, person, _new in picked:
            subscription = existing.get(person.pk)
            if subscription is None:
                subscription = Subscription(
                    person=person,
                    campaign_id=campaign_id,
                    acquisition_source_id=source_id,
                    contact_id=cid,
                    opt_in_date=at,
                )
                existing[person.pk] = subscription
                new_rows.append(subscription)
            elif not subscription.is_active:
                subscription.opt_in_date = at
                subscription.opt_out_date = None
                subscription.opt_out_reason = ""
                subscription.acquisition_source_id = source_id
                subscription.contact_id = cid
                reopened.append(subscription)
            subscriptions.append(subscription)
        bulk_insert(Subscription, new_rows)
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
        self._outbox(picked, subscriptions, campaign_id=campaign_id, at=at)
        return subscriptions

    @staticmethod
    def _insert(created: list[Person]) -> None:
        if not created:
            return
        # The candidates are locked, but a concurrent intake may have just created a person
        # with one of these mobile phones: then the whole batch fails (500, nothing stored) rather
        # than merging wrongly; the client retries it and the retry merges.
        bulk_insert(Person, created)

    @staticmethod
    def _outbox(
        picked: list[tuple[int, PersonData, Person, bool]],
        subscriptions: list[Subscription],
        *,
        campaign_id: int,
        at: datetime,
    ) -> None:
        event_type = EventType.SUBSCRIPTION_ADDED
        endpoints = endpoints_for(campaign_id=campaign_id, event_type=event_type)
        if not endpoints:
            return
        now = timezone.now()
        rows: list[CallbackDelivery] = []
        for (cid, _data, person, _new), subscription in zip(picked, subscriptions, strict=True):
            payload = subscription_payload(subscription, person, include_opt_out=False)
            event_id = uuid.uuid4()
            rows.extend(
                CallbackDelivery(
                    endpoint_id=endpoint.pk,
                    subscription=subscription,
                    event_id=event_id,
                    event_type=event_type,
                    event_date=at,
                    payload=payload,
                    contact_id=cid,
                    next_attempt_at=now,
                    retry_until=retry_window_end(now),
                    enqueued_at=None,  # unsent: the dispatcher's, after COMMIT's NOTIFY
                )
                for endpoint in endpoints
            )
        bulk_insert(CallbackDelivery, rows)
        deliveries_announce()


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
