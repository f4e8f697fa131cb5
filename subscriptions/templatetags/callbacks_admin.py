"""Template tags for the admin's callback panels: deliveries per endpoint and status."""

from __future__ import annotations

from typing import Any

from django import template

from subscriptions.selectors import delivery_status_counts, endpoints_with_counts

register = template.Library()


@register.inclusion_tag("admin/cs/delivery_counts.html", takes_context=True)
def delivery_counts(context: dict[str, Any], *, endpoint: int | None = None) -> dict[str, Any]:
    """Deliveries per status, linked to the delivery log, for one endpoint (or every one)."""
    if endpoint is None:
        rows = endpoints_with_counts()
    else:
        rows = [(context["original"], delivery_status_counts(endpoint_ids=[endpoint])[endpoint])]
    return {
        "rows": rows,
        "single": endpoint is not None,
        "csrf_token": context.get("csrf_token"),
        "perms": context.get("perms"),
    }
