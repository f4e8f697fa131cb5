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
from functools import partial

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from subscriptions.models import CallbackDelivery, EventType, Person, Subscription
from subscriptions.payloads import subscription_payload
from subscriptions.selectors import endpoints_for, person_pick
from subscriptions.services.outbox import deliveries_enqueue, retry_window_end
from subscriptions.services.subscribing import PersonData


class PersonsBatch:
    """The persons a batch's contacts may merge into, locked in id order (as person_candidates)."""

    def __init__(self, people: list[PersonData]) -> None:
        mobiles = sorted({p.mobile_phone for p in people if p.mobile_phone})
        emails = sorted({p.email for p in people if p.email})
        self.candidates: list[Person] = []
        if mobiles or emails:
            self.candidates = list(
                Person.objects.filter(Q(mobile_phone__in=mobiles) | Q(email__in=emails))
                .order_by("id")
                .select_for_update()
            )

    def _person_for(self, data: PersonData, created: list[Person]) -> tuple[Person, bool]:
        found = person_pick(self.candidates, mobile_phone=data.mobile_phone, email=data.email)
        if found is not None:
            return found, False
        person = Person(
            mobile_phone=data.mobile_phone,
            email=data.email,
            first_name=data.first_name,
            last_name=data.last_name,
        )
        # Later contacts of the batch merge into it, as they would into a committed one.
        self.candidates.append(person)
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
        picked = [(cid, data, *self._person_for(data, created)) for cid, data in contacts]
        self._insert(created)
        merged = {id(p): p for _c, _d, p, new in picked if not new}
        for _cid, data, person, new in picked:
            if not new:
                _fill_blanks_later(person, data)
        for person in merged.values():
            _save_blanks(person)
        existing = {
            s.person_id: s
            for s in Subscription.objects.filter(
                person_id__in=[p.pk for p in merged.values()], campaign_id=campaign_id
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
        Subscription.objects.bulk_create(new_rows)
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
        # with one of these mobile phones: then the whole batch fails (and answers 503) rather
        # than merging wrongly; the client retries it and the retry merges.
        Person.objects.bulk_create(created)

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
                    enqueued_at=now,
                )
                for endpoint in endpoints
            )
        CallbackDelivery.objects.bulk_create(rows)
        transaction.on_commit(partial(deliveries_enqueue, [row.pk for row in rows]))


def _fill_blanks_later(person: Person, data: PersonData) -> None:
    """As `_fill_blanks`, without saving: one UPDATE per person once the batch is read."""
    changed: set[str] = getattr(person, "_batch_changed", set())
    for name, value in (
        ("mobile_phone", data.mobile_phone),
        ("email", data.email),
        ("first_name", data.first_name),
        ("last_name", data.last_name),
    ):
        if value and not getattr(person, name):
            setattr(person, name, value)
            changed.add(name)
    person._batch_changed = changed  # type: ignore[attr-defined]


def _save_blanks(person: Person) -> None:
    changed = sorted(getattr(person, "_batch_changed", set()))
    if changed:
        person.save(update_fields=[*changed, "updated_at"])
