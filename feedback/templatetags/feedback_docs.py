"""The "Returns" section of a source's docs page (partnerdocs includes it; feedback owns it)."""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse

from feedback.selectors import return_policies_of, source_returns_recent

register = template.Library()

RETURNS_DAYS = 30


@register.inclusion_tag("docs/feedback_returns.html")
def source_returns(source: Any, campaigns: list[Any]) -> dict[str, Any]:
    policies = return_policies_of(campaign_ids=[c.id for c in campaigns])
    return {
        "returns": source_returns_recent(source_id=source.pk, days=RETURNS_DAYS),
        "days": RETURNS_DAYS,
        "settings": [(c, policies[c.id]) for c in campaigns],
        "csv_url": reverse("ingest:docs-returns", args=[source.pk]),
    }
