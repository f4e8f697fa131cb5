"""Reads for persons, subscriptions, callback endpoints and deliveries."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from subscriptions.models import (
    CallbackDelivery,
    CallbackEndpoint,
    DeliveryStatus,
    Person,
    Subscription,
)


@dataclass(frozen=True)
class PersonScope:
    """Whom a person-API caller reaches: everyone (`campaign_ids` None), or the persons with a
    subscription (active or opted out) to one of these campaigns, and only those subscriptions.
    """

    campaign_ids: frozenset[int] | None = None


EVERYONE = PersonScope()


def person_scope_of_endpoint(*, endpoint: CallbackEndpoint) -> PersonScope:
    """An endpoint's key reaches the persons of its campaigns; no campaigns: everyone (§7)."""
    campaign_ids = frozenset(endpoint.campaigns.values_list("id", flat=True))
    return PersonScope(campaign_ids) if campaign_ids else EVERYONE


def persons_in_scope(*, scope: PersonScope) -> QuerySet[Person]:
    """The one filter every person-API route reads through: outside it, a person does not exist."""
    if scope.campaign_ids is None:
        return Person.objects.all()
    return Person.objects.filter(
        Exists(
            Subscription.objects.filter(
                person_id=OuterRef("pk"), campaign_id__in=scope.campaign_ids
            )
        )
    )


def subscriptions_in_scope(*, scope: PersonScope) -> QuerySet[Subscription]:
    if scope.campaign_ids is None:
        return Subscription.objects.all()
    return Subscription.objects.filter(campaign_id__in=scope.campaign_ids)


def person_candidates(
    *, mobile_phone: str | None, email: str, lock: bool = False, scope: PersonScope = EVERYONE
) -> list[Person]:
    """Persons sharing the mobile phone or the email, oldest first (locked when asked).

    Locking every candidate in id order means two intakes for one person serialise here, and
    never deadlock on each other. The intake looks at everyone; a scoped person-API key only at
    its scope, so a merge never decides on (or touches) a person it may not see.
    """
    match = Q()
    if mobile_phone:
        match |= Q(mobile_phone=mobile_phone)
    if email:
        match |= Q(email=email)
    if not match:
        return []
    queryset = persons_in_scope(scope=scope).filter(match).order_by("id")
    if lock:
        queryset = queryset.select_for_update()
    return list(queryset[:20])


def person_pick(candidates: list[Person], *, mobile_phone: str | None, email: str) -> Person | None:
    """The merge rule: the same mobile phone first; else the same email, unless both people
    have a mobile phone and they differ (two phones are two people)."""
    if mobile_phone:
        for person in candidates:
            if person.mobile_phone == mobile_phone:
                return person
    if email:
        for person in candidates:
            if person.email == email and not (mobile_phone and person.mobile_phone):
                return person
    return None


def person_find(
    *, mobile_phone: str | None, email: str, lock: bool = False, scope: PersonScope = EVERYONE
) -> Person | None:
    candidates = person_candidates(mobile_phone=mobile_phone, email=email, lock=lock, scope=scope)
    return person_pick(candidates, mobile_phone=mobile_phone, email=email)


def person_get(*, public_id: uuid.UUID | str, scope: PersonScope) -> Person | None:
    try:
        return persons_in_scope(scope=scope).filter(public_id=public_id).first()
    except (ValueError, ValidationError):  # a malformed id is simply not found
        return None


def person_get_by_external_id(*, external_id: str, scope: PersonScope) -> Person | None:
    if not external_id:
        return None
    return persons_in_scope(scope=scope).filter(external_id=external_id).first()


def person_subscriptions(*, person: Person, scope: PersonScope) -> QuerySet[Subscription]:
    return subscriptions_in_scope(scope=scope).filter(person=person).order_by("campaign_id")


def person_subscription(
    *, person: Person, campaign_id: int, scope: PersonScope
) -> Subscription | None:
    return (
        subscriptions_in_scope(scope=scope).filter(person=person, campaign_id=campaign_id).first()
    )


def endpoints_for(*, campaign_id: int, event_type: str) -> list[CallbackEndpoint]:
    """Active endpoints that take this event for this campaign (no campaigns = every one)."""
    endpoints = (
        CallbackEndpoint.objects.filter(is_active=True)
        .filter(Q(campaigns__isnull=True) | Q(campaigns=campaign_id))
        .distinct()
        .only("id", "event_types", "is_primary")
        .order_by("id")
    )
    return [e for e in endpoints if event_type in (e.event_types or [])]


def primary_endpoint_for(*, campaign_id: int, event_type: str) -> CallbackEndpoint | None:
    """The endpoint that decides a real-time contact: the flagged primary one, else the oldest."""
    endpoints = (
        CallbackEndpoint.objects.filter(is_active=True)
        .filter(Q(campaigns__isnull=True) | Q(campaigns=campaign_id))
        .distinct()
        .order_by("-is_primary", "id")
    )
    for endpoint in endpoints:
        if event_type in (endpoint.event_types or []):
            return endpoint
    return None


def endpoint_for_api_key(*, key_hash: str) -> CallbackEndpoint | None:
    """The active endpoint holding this key: an inactive one's key is no key at all."""
    if not key_hash:
        return None
    return CallbackEndpoint.objects.filter(api_key_hash=key_hash, is_active=True).first()


def delivery_status_counts(*, endpoint_ids: Iterable[int]) -> dict[int, dict[str, int]]:
    """{endpoint id: {status: deliveries}} with every status present (one GROUP BY)."""
    ids = list(endpoint_ids)
    counts = {pk: dict.fromkeys(DeliveryStatus.values, 0) for pk in ids}
    rows = (
        CallbackDelivery.objects.filter(endpoint_id__in=ids)
        .values_list("endpoint_id", "status")
        .annotate(n=Count("id"))
        .order_by()
    )
    for endpoint_id, status, n in rows:
        counts[endpoint_id][status] = n
    return counts


def endpoints_with_counts() -> list[tuple[CallbackEndpoint, dict[str, int]]]:
    endpoints = list(CallbackEndpoint.objects.order_by("name", "pk"))
    counts = delivery_status_counts(endpoint_ids=[e.pk for e in endpoints])
    return [(endpoint, counts[endpoint.pk]) for endpoint in endpoints]
