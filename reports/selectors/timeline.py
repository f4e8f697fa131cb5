"""Reads for the transactions timeline and its CSV export: filtered events, newest first.

Pages and export chunks use keyset pagination on (created_at, id) rather than OFFSET or COUNT,
so page 1 000 costs what page 1 costs and the export reads a million rows in constant memory.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import phonenumbers
from django.db.models import Q, QuerySet
from email_validator import EmailNotValidError, validate_email

from ingest.models import IntakeEvent

DEFAULT_PHONE_REGION = "US"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class TimelineFilter:
    source_id: int | None = None
    campaign_id: int | None = None
    status: str = ""
    start: datetime | None = None  # inclusive
    end: datetime | None = None  # exclusive
    text: str = ""  # an email or a phone number (exact), or a part of one
    phone_region: str = DEFAULT_PHONE_REGION


@dataclass(frozen=True)
class Cursor:
    """Where a page ends: the (created_at, id) of its last row."""

    created_at: datetime
    id: int

    def encode(self) -> str:
        # Integer microseconds: a float timestamp would round and skip or repeat rows.
        micros = (self.created_at - EPOCH) // timedelta(microseconds=1)
        return f"{micros}-{self.id}"

    @classmethod
    def decode(cls, value: str | None) -> Cursor | None:
        match = re.fullmatch(r"(\d{1,19})-(\d{1,19})", value or "")
        if not match:
            return None
        micros, pk = int(match[1]), int(match[2])
        try:
            moment = EPOCH + timedelta(microseconds=micros)
        except OverflowError:
            return None
        return cls(created_at=moment, id=pk)


def _email_forms(text: str) -> set[str]:
    forms = {text, text.lower()}
    # The intake stores email-validator's normalised form: look that up too.
    with contextlib.suppress(EmailNotValidError):
        forms.add(str(validate_email(text, check_deliverability=False).normalized))
    return forms


def _phone_e164(text: str, region: str) -> str | None:
    if len(re.sub(r"\D", "", text)) < 6:
        return None
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def text_condition(text: str, region: str = DEFAULT_PHONE_REGION) -> Q:
    """A whole email or phone number is an exact, indexed lookup; anything else a substring."""
    text = text.strip()
    if re.fullmatch(r"[^@\s]+@[^@\s]+", text):
        return Q(email__in=_email_forms(text))
    e164 = _phone_e164(text, region)
    if e164:
        return Q(phone=e164)
    digits = re.sub(r"\D", "", text)
    condition = Q(email__icontains=text)
    if len(digits) >= 3:
        condition |= Q(phone__contains=digits)
    return condition


def timeline_events(f: TimelineFilter) -> QuerySet[IntakeEvent]:
    qs = IntakeEvent.objects.select_related("source", "campaign")
    if f.source_id is not None:
        qs = qs.filter(source_id=f.source_id)
    if f.campaign_id is not None:
        qs = qs.filter(campaign_id=f.campaign_id)
    if f.status:
        qs = qs.filter(status=f.status)
    if f.start is not None:
        qs = qs.filter(created_at__gte=f.start)
    if f.end is not None:
        qs = qs.filter(created_at__lt=f.end)
    if f.text.strip():
        qs = qs.filter(text_condition(f.text, f.phone_region))
    return qs.order_by("-created_at", "-id")


def _after(qs: QuerySet[IntakeEvent], cursor: Cursor | None) -> QuerySet[IntakeEvent]:
    if cursor is None:
        return qs
    return qs.filter(
        Q(created_at__lt=cursor.created_at) | Q(created_at=cursor.created_at, id__lt=cursor.id)
    )


def timeline_page(
    f: TimelineFilter, *, after: Cursor | None = None, size: int = 50
) -> tuple[list[IntakeEvent], Cursor | None]:
    """One page of events and the cursor of the next page (None on the last page)."""
    rows = list(_after(timeline_events(f), after)[: size + 1])
    if len(rows) <= size:
        return rows, None
    rows = rows[:size]
    return rows, Cursor(created_at=rows[-1].created_at, id=rows[-1].pk)


def timeline_chunks(f: TimelineFilter, *, chunk_size: int = 2000) -> Iterator[list[IntakeEvent]]:
    """Every matching event in chunks: one query per chunk, nothing kept between chunks."""
    cursor: Cursor | None = None
    while True:
        rows, cursor = timeline_page(f, after=cursor, size=chunk_size)
        if rows:
            yield rows
        if cursor is None:
            return
