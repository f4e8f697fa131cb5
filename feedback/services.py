"""Writes for buyer feedback: returns (with their ledger reversals), decisions, conversions.

Every rule of DESIGN §14 is applied here, so the API, the admin and any later caller refuse
the same things with the same words.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import IntegrityError, transaction
from django.utils import timezone

from feedback.models import ContactReturn, Conversion, ReturnPolicy, ReturnStatus, ReviewPolicy
from feedback.notify import return_notify_source
from feedback.selectors import (
    campaign_names,
    contact_was_charged,
    endpoint_campaign_ids,
    return_of,
    return_policy_of,
)
from finance.services import ledger_reverse_contact
from ingest.models import Contact, ContactStatus
from subscriptions.models import CallbackEndpoint

User = AbstractBaseUser | AnonymousUser


@dataclass
class FeedbackRefused(Exception):
    """A return or conversion the rules refuse: `code`, a sentence saying why and what is
    allowed, and the facts behind it (`allowed_reasons`, `deadline`, …) for programs."""

    code: str
    detail: str
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "detail": self.detail, **self.extra}


class NotInScope(FeedbackRefused):
    """The caller's key may not see this contact (answered as not found)."""


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _user_or_none(user: User | None) -> Any:
    return user if user is not None and user.is_authenticated else None


def feedback_scope_check(*, contact: Contact, endpoint: CallbackEndpoint | None) -> None:
    """An endpoint's key reaches only the contacts of its campaigns (none listed: all)."""
    if endpoint is None:
        return
    allowed = endpoint_campaign_ids(endpoint=endpoint)
    if allowed is None or contact.campaign_id in allowed:
        return
    names = ", ".join(campaign_names(campaign_ids=allowed))
    raise NotInScope(
        "not_in_scope",
        f"No contact {contact.pk} among this key's campaigns. The endpoint's key gives "
        f"feedback on the contacts of its campaigns only: {names}.",
        {"allowed_campaigns": sorted(allowed)},
    )


def _return_check(*, contact: Contact, policy: ReturnPolicy, reason: str, now: datetime) -> None:
    if contact.status != ContactStatus.ACCEPTED:
        raise FeedbackRefused(
            "never_charged",
            f"Contact {contact.pk} was {contact.status}, never charged: only accepted contacts "
            "can be returned.",
            {"contact_status": contact.status},
        )
    if not contact_was_charged(contact_id=contact.pk):
        raise FeedbackRefused(
            "never_charged",
            f"Contact {contact.pk} was never charged (a test or an uncharged contact): only "
            "charged contacts can be returned.",
        )
    window = policy.window_delta
    if window is None:
        raise FeedbackRefused(
            "returns_closed",
            f"Campaign {contact.campaign_id} takes no returns (its return window is empty).",
        )
    if reason not in policy.reasons:
        raise FeedbackRefused(
            "unknown_reason",
            f"Unknown return reason '{reason}' for campaign {contact.campaign_id}; allowed: "
            f"{', '.join(policy.reasons)}.",
            {"allowed_reasons": list(policy.reasons)},
        )
    deadline = contact.created_at + window
    if now > deadline:
        raise FeedbackRefused(
            "window_closed",
            f"The return window of contact {contact.pk} closed at {_iso(deadline)} "
            f"({policy.window} after its acceptance at {_iso(contact.created_at)}).",
            {"deadline": _iso(deadline), "window": policy.window},
        )


def _approved(ret: ContactReturn, now: datetime) -> None:
    """What an approval does: reverse the contact's cost and revenue, tell the source."""
    ledger_reverse_contact(contact_id=ret.contact_id, memo=f"return {ret.pk}: {ret.reason}", at=now)
    return_notify_source(ret=ret)


def return_request(
    *,
    contact: Contact,
    reason: str,
    note: str = "",
    endpoint: CallbackEndpoint | None = None,
    user: User | None = None,
    at: datetime | None = None,
) -> tuple[ContactReturn, bool]:
    """Return a contact, or raise FeedbackRefused. Returns (the return, created).

    A contact already returned (whatever became of that return) answers that first return and
    nothing changes. Two requests at once: the unique key on the contact lets one insert win,
    the other waits for its commit, fails on the key and answers the winner's row.
    """
    now = at or timezone.now()
    feedback_scope_check(contact=contact, endpoint=endpoint)
    existing = return_of(contact_id=contact.pk)
    if existing is not None:
        return existing, False
    policy = return_policy_of(campaign_id=contact.campaign_id)
    _return_check(contact=contact, policy=policy, reason=reason, now=now)
    approve = policy.review == ReviewPolicy.APPROVE
    try:
        with transaction.atomic():
            ret = ContactReturn.objects.create(
                contact=contact,
                source_id=contact.source_id,
                campaign_id=contact.campaign_id,
                contact_created_at=contact.created_at,
                reason=reason,
                note=note[:500],
                status=ReturnStatus.APPROVED if approve else ReturnStatus.PENDING,
                endpoint=endpoint,
                user=_user_or_none(user),
                created_at=now,
                decided_at=now if approve else None,
            )
            if approve:
                _approved(ret, now)
    except IntegrityError:
        existing = return_of(contact_id=contact.pk)
        if existing is None:
            raise
        return existing, False
    return ret, True


class DecisionRefused(Exception):
    """Only a pending return can be approved or rejected; a rejection needs its reason."""


def _pending_locked(return_id: int, decision: str) -> ContactReturn:
    """The return, locked until the decision commits; refused unless it waits for review."""
    ret = ContactReturn.objects.select_for_update().get(pk=return_id)
    if ret.status != ReturnStatus.PENDING:
        raise DecisionRefused(
            f"Return {ret.pk} is already {ret.status}: only returns waiting for review can be "
            f"{decision}."
        )
    return ret


@transaction.atomic
def return_approve(*, return_id: int, user: User | None = None) -> ContactReturn:
    now = timezone.now()
    ret = _pending_locked(return_id, "approved")
    ret.status = ReturnStatus.APPROVED
    ret.decided_at = now
    ret.decided_by = _user_or_none(user)
    ret.save(update_fields=["status", "decided_at", "decided_by"])
    _approved(ret, now)
    return ret


@transaction.atomic
def return_reject(*, return_id: int, reason: str, user: User | None = None) -> ContactReturn:
    reason = (reason or "").strip()
    if not reason:
        raise DecisionRefused("Say why the return is rejected (the buyer and the source see it).")
    ret = _pending_locked(return_id, "rejected")
    ret.status = ReturnStatus.REJECTED
    ret.rejection_reason = reason[:500]
    ret.decided_at = timezone.now()
    ret.decided_by = _user_or_none(user)
    ret.save(update_fields=["status", "rejection_reason", "decided_at", "decided_by"])
    return ret


def returns_decide(
    *, return_ids: list[int], approve: bool, reason: str = "", user: User | None = None
) -> tuple[int, list[str]]:
    """Approve or reject many, each in its own transaction: (done, refusals)."""
    done, problems = 0, []
    for return_id in return_ids:
        try:
            if approve:
                return_approve(return_id=return_id, user=user)
            else:
                return_reject(return_id=return_id, reason=reason, user=user)
        except DecisionRefused as exc:
            problems.append(str(exc))
        else:
            done += 1
    return done, problems


def conversion_report(
    *,
    contact: Contact,
    value: Decimal | None = None,
    converted_at: datetime | None = None,
    endpoint: CallbackEndpoint | None = None,
    user: User | None = None,
) -> tuple[Conversion, bool]:
    """Record that a contact converted (feedback, never revenue); a later report replaces the
    earlier one. Returns (the conversion, created)."""
    feedback_scope_check(contact=contact, endpoint=endpoint)
    if contact.status != ContactStatus.ACCEPTED:
        raise FeedbackRefused(
            "not_accepted",
            f"Contact {contact.pk} was {contact.status}: only accepted contacts reach a buyer "
            "and can convert.",
            {"contact_status": contact.status},
        )
    now = timezone.now()
    return Conversion.objects.update_or_create(
        contact=contact,
        defaults={
            "source_id": contact.source_id,
            "campaign_id": contact.campaign_id,
            "contact_created_at": contact.created_at,
            "value": value,
            "converted_at": converted_at or now,
            "endpoint": endpoint,
            "user": _user_or_none(user),
            "reported_at": now,
        },
    )


@transaction.atomic
def return_policy_save(*, campaign_id: int, **values: Any) -> ReturnPolicy:
    """Create (lazily, with the defaults) or change a campaign's return settings."""
    policy, _created = ReturnPolicy.objects.select_for_update().get_or_create(
        campaign_id=campaign_id
    )
    for name, value in values.items():
        setattr(policy, name, value)
    policy.full_clean()
    policy.save()
    return policy
