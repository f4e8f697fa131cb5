"""Caps and the ledger for a batch intake: read and lock once, admit in order, write once.

A batch of 1,000 contacts must not pay 1,000 times (lock, read, upsert). `BatchCaps` locks and reads
the counters of every cap the batch meets once, admits its contacts one after another in memory
with the same rule as `caps_take` (CapState.fits), and adds what it admitted in one statement.
The locks are those `caps_take` takes, in the same order (rolling caps by id, then calendar
counter rows by cap id), held until the batch commits, so caps stay exact under concurrency.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from decimal import Decimal

from contactsource.bulk import bulk_insert_rows
from contactsource.datacopy import replaced
from finance.capstate import CapState, cap_amount, cap_state_build, state_fill
from finance.models import Cap, LedgerEntry, LedgerKind
from finance.selectors import counter_rows
from finance.services import _counters_add

ZERO = Decimal("0")


class BatchCaps:
    """The caps a batch meets, locked and read at construction (call inside the transaction)."""

    def __init__(self, caps: list[Cap], *, at: datetime, timezone: str) -> None:
        self.at, self.timezone = at, timezone
        self.caps = {cap.pk: cap for cap in sorted(caps, key=lambda c: c.pk)}
        self._base = {
            pk: cap_state_build(cap, at=at, cost=ZERO, timezone=timezone)
            for pk, cap in self.caps.items()
        }
        self.used: dict[int, Decimal] = {}
        # Counter rows by window key: what the window held, plus what the batch admitted.
        self.buckets: dict[int, dict[datetime, Decimal]] = {}
        self.added: dict[int, Decimal] = dict.fromkeys(self.caps, ZERO)
        if self.caps:
            self._lock_and_read()

    def _lock_and_read(self) -> None:
        rolling = [s for s in self._base.values() if s.duration.rolling]
        calendar = [s for s in self._base.values() if not s.duration.rolling]
        if rolling:
            # As _rolling_take: the cap rows serialise every taker of a rolling cap.
            ids = [s.cap.pk for s in rolling]
            list(
                Cap.objects.select_for_update(no_key=True)
                .filter(pk__in=ids)
                .order_by("pk")
                .values_list("pk", flat=True)
            )
        if calendar:
            # Adding nothing creates and locks this window's counter rows (by cap id, as every
            # intake does), so single posts queue behind the batch until it commits.
            _counters_add([replace(s, amount=ZERO) for s in calendar])
        rows = counter_rows(list(self._base.values()))
        for pk, base in self._base.items():
            filled = state_fill(replace(base, buckets=[]), rows.get(pk, []))
            self.used[pk] = filled.used
            self.buckets[pk] = {}
            for key, used in filled.buckets:
                self.buckets[pk][key] = self.buckets[pk].get(key, ZERO) + used

    def states(self, caps: list[Cap], cost: Decimal, *, detail: bool = False) -> list[CapState]:
        """This contact's view of its caps right now (after the batch's earlier admissions).

        The buckets (only needed to say when a full cap frees a slot, or in verbose answers)
        are filled when a cap is hit or `detail` asks for them: copying them for every item
        would make a batch quadratic."""
        states = []
        for cap in caps:
            # Every item of a batch arrives at the same instant: one window per cap.
            state = replaced(
                self._base[cap.pk], amount=cap_amount(cap, cost), used=self.used[cap.pk], buckets=[]
            )
            state.hit = not state.fits
            states.append(state)
        if detail or any(s.hit for s in states):
            for state in states:
                state.buckets = sorted(self.buckets[state.cap.pk].items())
        return states

    def take(self, states: list[CapState]) -> None:
        """Admit the contact these states describe (every one of them fits)."""
        for state in states:
            pk, key = state.cap.pk, state.window.key
            self.used[pk] += state.amount
            self.added[pk] += state.amount
            self.buckets[pk][key] = self.buckets[pk].get(key, ZERO) + state.amount
            state.used += state.amount
        if states and states[0].buckets:
            for state in states:
                state.buckets = sorted(self.buckets[state.cap.pk].items())

    def flush(self) -> None:
        """Write what the batch admitted: one conditional upsert for all its caps."""
        taken = [
            replace(self._base[pk], amount=amount)
            for pk, amount in self.added.items()
            if amount > 0
        ]
        if taken:
            written = _counters_add(taken)
            # We held the rows since reading them, so every addition fits.
            assert len(written) == len(taken), "cap counters changed under the batch's lock"


_LEDGER_COLUMNS = (
    "kind",
    "amount",
    "contact_id",
    "source_id",
    "campaign_id",
    "utm_source",
    "created_at",
    "memo",
)


def ledger_record_intakes(
    rows: list[tuple[int, int, int, str, Decimal, Decimal]], *, at: datetime, memo: str = ""
) -> None:
    """Cost and revenue rows of many accepted contacts in one INSERT:
    (contact_id, source_id, campaign_id, utm_source, cost, revenue) each; `memo` is
    IMPORTED_MEMO for a file import's rows, which caps do not count."""
    entries = []
    for contact_id, source_id, campaign_id, utm_source, cost, revenue in rows:
        common = (contact_id, source_id, campaign_id, utm_source[:255], at, memo)
        entries.append((LedgerKind.COST, cost, *common))
        entries.append((LedgerKind.REVENUE, revenue, *common))
    bulk_insert_rows(LedgerEntry, _LEDGER_COLUMNS, entries)
