"""Reads for persons, subscriptions, callback endpoints and deliveries."""

from __future__ import annotations

import uuid

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet

from subscriptions.models import (
    CallbackDelivery,
    CallbackEndpoint,
    DeliveryStatus,
    Person,
    Subscription,
)


def person_candidates(*, mobile_phone: str | None, email: str, lock: bool = False) -> list[Person]:
    """Persons sharing the mobile phone or the email, oldest first (locked when asked).

    Locking every candidate in id order means two intakes for one person serialise here, and
    never deadlock on each other.
    """
    match = Q()
    if mobile_phone:
        match |= Q(mobile_phone=mobile_phone)
    if email:
        match |= Q(email=email)
    if not match:
        return []
    queryset = Person.objects.filter(match).order_by("id")
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


def person_find(*, mobile_phone: str | None, email: str, lock: bool = False) -> Person | None:
    candidates = person_candidates(mobile_phone=mobile_phone, email=email, lock=lock)
    return person_pick(candidates, mobile_phone=mobile_phone, email=email)


def person_get(*, public_id: uuid.UUID | str) -> Person | None:
    try:
        return Person.objects.filter(public_id=public_id).first()
    except (ValueError, ValidationError):  # a malformed id is simply not found
        return None


def person_get_by_external_id(*, external_id: str) -> Person | None:
    return Person.objects.filter(external_id=external_id).first() if external_id else None


def person_subscriptions(*, person: Person) -> QuerySet[Subscription]:
    return Subscription.objects.filter(person=person).order_by("campaign_id")


def person_subscription(*, person: Person, campaign_id: int) -> Subscription | None:
    return Subscription.objects.filter(person=person, campaign_id=campaign_id).first()


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
    return CallbackEndpoint.objects.filter(api_key_hash=key_hash).first() if key_hash else None


def deliveries_pending_count() -> int:
    return CallbackDelivery.objects.filter(status=DeliveryStatus.PENDING).count()
