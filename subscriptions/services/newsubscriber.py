"""A contact's new person, subscription and outbox rows as data-modifying CTEs of the intake's
one write statement (the common case: nobody shares the contact's mobile phone or email).

The statement locks the candidates (as person_candidates) and inserts the person only when
there are none, the subscription and one CallbackDelivery per endpoint after it. Any candidate
(a merge to decide), or a concurrent insert of the same mobile phone (ON CONFLICT DO NOTHING),
yields no person row, and the caller runs contact_subscribe, which decides as it always has.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import connection, models
from django.utils import timezone

from contactsource.rowplans import RowPlan
from subscriptions.models import CallbackDelivery, EventType, Person, Subscription
from subscriptions.payloads import subscription_object
from subscriptions.services.outbox import NOTIFY_SQL, retry_window_end
from subscriptions.services.subscribing import PersonData


def _columns(model: type[models.Model], skip: frozenset[str]) -> list[models.Field[Any, Any]]:
    return [f for f in model._meta.concrete_fields if not f.primary_key and f.name not in skip]


_PERSON_FIELDS = _columns(Person, frozenset())
_SUBSCRIPTION_FIELDS = _columns(Subscription, frozenset({"person", "contact_id"}))
_DELIVERY_FIELDS = _columns(CallbackDelivery, frozenset({"endpoint", "subscription", "contact_id"}))
_q = connection.ops.quote_name
_PERSON_PLAN = RowPlan(_PERSON_FIELDS)
_SUBSCRIPTION_PLAN = RowPlan(_SUBSCRIPTION_FIELDS)
_DELIVERY_PLAN = RowPlan(_DELIVERY_FIELDS)


@dataclass
class NewSubscriber:
    """The rows, as the statement's parameters (no model instances: building them cost more
    than the rest of the plan)."""

    mobile_phone: str | None
    email: str
    person: list[Any]  # the person's values, as _PERSON_FIELDS
    subscription: list[Any]  # as _SUBSCRIPTION_FIELDS
    delivery: list[Any] | None  # the row every endpoint gets (endpoint set per row)
    endpoint_ids: list[int]
    person_id: int | None = None
    subscription_id: int | None = None
    delivery_ids: list[int] = field(default_factory=list)

    @property
    def shape(self) -> tuple[bool, bool, int]:
        return (bool(self.mobile_phone), bool(self.email), len(self.endpoint_ids))


def new_subscriber_plan(
    *,
    person: PersonData,
    campaign_id: int,
    source_id: int | None,
    at: datetime,
    endpoint_ids: list[int],
) -> NewSubscriber:
    """The rows a first-time person would get (as contact_subscribe writes them)."""
    public_id = uuid.uuid4()  # Person.public_id's default, drawn here for the payload
    person_values = _PERSON_PLAN.new_values(
        {
            "public_id": public_id,
            "mobile_phone": person.mobile_phone,
            "email": person.email,
            "first_name": person.first_name,
            "last_name": person.last_name,
        }
    )
    subscription = _SUBSCRIPTION_PLAN.new_values(
        {"campaign_id": campaign_id, "acquisition_source_id": source_id, "opt_in_date": at}
    )
    delivery = None
    if endpoint_ids:
        now = timezone.now()
        delivery = _DELIVERY_PLAN.new_values(
            {
                "event_id": uuid.uuid4(),
                "event_type": EventType.SUBSCRIPTION_ADDED,
                "event_date": at,
                "payload": subscription_object(
                    person_public_id=public_id,
                    person_external_id=None,  # a new person has none
                    campaign_id=campaign_id,
                    source_id=source_id,
                    opt_in_date=at,
                ),
                "next_attempt_at": now,
                "retry_until": retry_window_end(now),
                "enqueued_at": None,  # unsent: the dispatcher sends it after COMMIT's NOTIFY
            }
        )
    return NewSubscriber(
        mobile_phone=person.mobile_phone,
        email=person.email,
        person=person_values,
        subscription=subscription,
        delivery=delivery,
        endpoint_ids=endpoint_ids,
    )


def new_subscriber_ctes(shape: tuple[bool, bool, int], *, guard: str) -> list[str]:
    """CTEs `found`, `ins`, `sub` (and `dl`) after a CTE named `guard` with the contact's `id`.
    The caller selects new_subscriber_selected() from them."""
    has_mobile, has_email, endpoints = shape
    match = [
        *(["p.mobile_phone = %s"] if has_mobile else []),
        *(["p.email = %s"] if has_email else []),
    ]
    found = (
        "found AS (SELECT p.id FROM subscriptions_person p "  # noqa: S608
        f"WHERE {' OR '.join(match)} ORDER BY p.id LIMIT 20 FOR UPDATE)"
        if match
        else "found AS (SELECT NULL::bigint AS id WHERE false)"
    )
    person_cols = ", ".join(_q(str(f.column)) for f in _PERSON_FIELDS)
    person_vals = ", ".join(["%s"] * len(_PERSON_FIELDS))
    sub_cols = ", ".join(_q(str(f.column)) for f in _SUBSCRIPTION_FIELDS)
    sub_vals = ", ".join(["%s"] * len(_SUBSCRIPTION_FIELDS))
    ctes = [
        found,
        f"ins AS (INSERT INTO subscriptions_person ({person_cols}) SELECT {person_vals} "  # noqa: S608
        f"WHERE EXISTS (SELECT 1 FROM {guard}) AND NOT EXISTS (SELECT 1 FROM found) "
        "ON CONFLICT DO NOTHING RETURNING id)",
        f"sub AS (INSERT INTO subscriptions_subscription ({sub_cols}, person_id, contact_id) "  # noqa: S608
        f"SELECT {sub_vals}, ins.id, {guard}.id FROM ins, {guard} RETURNING id)",
    ]
    if endpoints:
        cols = ", ".join(_q(str(f.column)) for f in _DELIVERY_FIELDS)
        vals = ", ".join(["%s"] * len(_DELIVERY_FIELDS))
        rows = ", ".join(["(%s::bigint)"] * endpoints)
        ctes.append(
            "dl AS (INSERT INTO subscriptions_callbackdelivery "  # noqa: S608
            f"({cols}, endpoint_id, subscription_id, contact_id) "
            f"SELECT {vals}, v.endpoint_id, sub.id, {guard}.id "
            f"FROM sub, {guard}, (VALUES {rows}) AS v(endpoint_id) ORDER BY v.endpoint_id "
            "RETURNING id)"
        )
    return ctes


def new_subscriber_selected(shape: tuple[bool, bool, int]) -> list[str]:
    return [
        "(SELECT id FROM ins)",
        "(SELECT id FROM sub)",
        "(SELECT array_agg(id ORDER BY id) FROM dl)" if shape[2] else "NULL",
        # Wakes the dispatchers at COMMIT (subscriptions.services.dispatch); no row, no NOTIFY.
        f"(SELECT {NOTIFY_SQL} FROM (SELECT 1 FROM dl LIMIT 1) AS any_dl)"  # noqa: S608
        if shape[2]
        else "NULL",
    ]


def new_subscriber_params(plan: NewSubscriber) -> list[Any]:
    params: list[Any] = [
        *([plan.mobile_phone] if plan.mobile_phone else []),
        *([plan.email] if plan.email else []),
    ]
    params += plan.person
    params += plan.subscription
    if plan.delivery is not None:
        params += plan.delivery
        params += sorted(plan.endpoint_ids)
    return params


def new_subscriber_done(
    plan: NewSubscriber, person_id: int | None, subscription_id: int | None, ids: Any
) -> bool:
    """After the statement: False when no person was written (the caller merges instead).
    The deliveries are the dispatcher's to send once the transaction commits."""
    if person_id is None or subscription_id is None:
        return False
    plan.person_id = person_id
    plan.subscription_id = subscription_id
    plan.delivery_ids = [int(i) for i in (ids or [])]
    return True
