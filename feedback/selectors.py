"""Reads for buyer feedback: a campaign's return settings, returns, conversions."""

from __future__ import annotations

from campaigns.models import Campaign
from feedback.models import ContactReturn, Conversion, ReturnPolicy, ReturnStatus
from finance.models import LedgerEntry, LedgerKind
from subscriptions.models import CallbackEndpoint
from subscriptions.selectors import person_scope_of_endpoint


def return_policy_of(*, campaign_id: int) -> ReturnPolicy:
    """The campaign's settings; a campaign never edited has the defaults (an unsaved row)."""
    policy = ReturnPolicy.objects.filter(campaign_id=campaign_id).first()
    return policy or ReturnPolicy(campaign_id=campaign_id)


def return_policies_of(*, campaign_ids: list[int]) -> dict[int, ReturnPolicy]:
    found = {p.campaign_id: p for p in ReturnPolicy.objects.filter(campaign_id__in=campaign_ids)}
    return {cid: found.get(cid) or ReturnPolicy(campaign_id=cid) for cid in campaign_ids}


def endpoint_campaign_ids(*, endpoint: CallbackEndpoint) -> frozenset[int] | None:
    """The campaigns whose contacts an endpoint's key may give feedback on; None: every one
    (an endpoint without campaigns takes them all, as the person API's scope, §7)."""
    return person_scope_of_endpoint(endpoint=endpoint).campaign_ids


def campaign_names(*, campaign_ids: frozenset[int]) -> list[str]:
    return [
        f"{pk} ({name})"
        for pk, name in Campaign.objects.filter(pk__in=campaign_ids)
        .order_by("pk")
        .values_list("pk", "name")
    ]


def contact_was_charged(*, contact_id: int) -> bool:
    """The contact has cost or revenue rows in the ledger (only accepted, real intakes do)."""
    return LedgerEntry.objects.filter(
        contact_id=contact_id, kind__in=[LedgerKind.COST, LedgerKind.REVENUE]
    ).exists()


def return_of(*, contact_id: int) -> ContactReturn | None:
    return ContactReturn.objects.filter(contact_id=contact_id).first()


def conversion_of(*, contact_id: int) -> Conversion | None:
    return Conversion.objects.filter(contact_id=contact_id).first()


def source_returns_recent(*, source_id: int, days: int = 30) -> list[ContactReturn]:
    """A source's approved returns decided in the last `days` days, newest first (for its docs
    page: contact id, campaign, date and reason; nothing personal)."""
    from datetime import timedelta

    from django.utils import timezone

    since = timezone.now() - timedelta(days=days)
    return list(
        ContactReturn.objects.filter(
            source_id=source_id, status=ReturnStatus.APPROVED, decided_at__gte=since
        )
        .only("contact_id", "campaign_id", "reason", "decided_at")
        .order_by("-decided_at", "-id")
    )
