"""Reads over the callback outbox for the admin's panels: deliveries per endpoint and status."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Count

from subscriptions.models import CallbackDelivery, CallbackEndpoint, DeliveryStatus


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
