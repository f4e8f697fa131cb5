"""The batch's fast path: the single post's rules for every item, a few statements per batch.

Each item is read, normalised, scrubbed and priced by the single post's own functions (pure
Python). Then one transaction decides the items in their order with everything it needs read
and locked once, in the single post's lock order (duplicate locks, persons, caps), and writes
contacts, money, subscriptions, callbacks, cap counters and events in one INSERT each:

- duplicates: the batch's identities already kept in the window (one query, under their
  advisory locks), plus those kept earlier in the batch;
- caps: finance.batch.BatchCaps admits items one after another as caps_take would;
- persons: subscriptions.services.batch.PersonsBatch merges as contact_subscribe would.

So 1,000 contacts cost about a dozen statements instead of about twenty each. Entries with a
real-time buyer (one synchronous call per contact) take the item-by-item path instead.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import Model

from campaigns.fields import FieldSpec
from contactsource.bulk import bulk_insert_rows
from contactsource.copyqueue import copies_overlapped
from finance.batch import BatchCaps, ledger_record_intakes
from finance.models import Cap, LedgerEntry
from finance.selectors import caps_applicable
from finance.services import IMPORTED_MEMO
from ingest import errors
from ingest.admission import (
    caps_report,
    duplicate_lock_key,
    duplicate_refusal,
    duplicate_window,
    limited_error,
)
from ingest.errors import IntakeError
from ingest.models import Contact, IntakeEvent, IntakeStatus
from ingest.pipeline import IntakeOutcome, IntakeRequest
from ingest.services.checks import _prepare
from ingest.services.decide import (
    CONTACT_ROW,
    Item,
    contact_row,
    item_fields_read,
)
from ingest.services.events import event_values
from subscriptions.services.batch import PersonsBatch
from subscriptions.services.subscribing import PersonData

logger = logging.getLogger(__name__)


def item_read(
    req: IntakeRequest, batch: IntakeOutcome, raw: Any, specs: dict[str, FieldSpec]
) -> Item:
    """Fields, identity, scrub and price of one item (no database); refusals stop here."""
    item = Item(req=req, outcome=batch.item(req))
    if not isinstance(raw, dict):
        item.refuse(IntakeError(errors.ITEM_NOT_OBJECT))
        return item
    try:
        item_fields_read(item, _prepare(req, item.outcome, item.soft), specs)
    except IntakeError as exc:
        item.refuse(exc)
    return item


def _caps_by_utm(batch: IntakeOutcome, items: list[Item]) -> None:
    """Each item's caps, one query per distinct utm_source (usually one for the batch)."""
    assert batch.source is not None and batch.campaign is not None
    found: dict[str, list[Cap]] = {}
    for item in items:
        utm = str((item.values or {}).get("utm_source") or "")
        if utm not in found:
            found[utm] = caps_applicable(
                campaign_id=batch.campaign.pk, source_id=batch.source.pk, utm_source=utm
            )
        item.caps = found[utm]


def _duplicates_seen(
    batch: IntakeOutcome, items: list[Item]
) -> tuple[dict[str, datetime], timedelta | None]:
    """Identities of the batch already kept within the window, under their advisory locks (the
    single post's `intake_locks`, for all of them at once, in key order)."""
    entry = batch.entry
    window = duplicate_window(entry)
    hashes = sorted({i.id_hash for i in items if i.id_hash})
    if entry is None or not window or not hashes:
        return {}, window
    keys = sorted(duplicate_lock_key(entry.source_id, entry.campaign_id, h) for h in hashes)
    with connection.cursor() as cursor:
        # For the rest of the batch's transaction the planner takes an index wherever there
        # is one. Given a thousand identities (and persons' phones and emails below) as
        # constants, it weighs a sequential scan of the whole table with the values hashed
        # against a thousand index probes, and took the scan for tables from a few tens of
        # thousands of rows: 30-40 ms each for the duplicate and the persons' lookups, growing
        # with the table, against 3-8 ms on the indexes. Sent with the locks: no round trip.
        cursor.execute(
            "SET LOCAL enable_seqscan = off; SELECT count(pg_advisory_xact_lock(k)) FROM "
            "(SELECT k FROM unnest(%s::bigint[]) AS k ORDER BY k) AS keys",
            [keys],
        )
    at = items[0].req.received_at
    with connection.cursor() as cursor:
        # An array, not an IN list: a thousand parameters cost more to build than to run.
        cursor.execute(
            "SELECT identity_hash, max(created_at) FROM ingest_contact WHERE source_id = %s "
            "AND campaign_id = %s AND identity_hash = ANY(%s) AND created_at >= %s "
            "GROUP BY identity_hash",
            [entry.source_id, entry.campaign_id, hashes, at - window],
        )
        return {row[0]: row[1] for row in cursor.fetchall()}, window


def _decide(item: Item, bc: BatchCaps, seen: dict[str, datetime], window: timedelta | None) -> None:
    """The single post's order: duplicate, then caps (peek for test and scrubbed items)."""
    outcome = item.outcome
    if window and item.id_hash and item.id_hash in seen:
        item.refuse(duplicate_refusal(item.values or {}, seen[item.id_hash], window))
        return
    if item.caps:
        taking = outcome.status == IntakeStatus.ACCEPTED and not outcome.test
        cost = outcome.cost if taking and outcome.cost is not None else item.price
        # Verbose answers show the caps; the RateLimit headers have no place in a batch.
        states = bc.states(item.caps, cost, detail=outcome.verbose)
        if any(s.hit for s in states):
            if outcome.verbose:
                caps_report(outcome, states)
            item.refuse(limited_error(states))
            return
        if taking:
            bc.take(states)
        if outcome.verbose:
            caps_report(outcome, states)
    if not outcome.test and item.id_hash:
        seen[item.id_hash] = item.req.received_at


_UTM_SOURCE = CONTACT_ROW.index("utm_source")


def _contact_row(item: Item) -> tuple[Any, ...]:
    assert item.values is not None
    return contact_row(item.outcome, item.values, item.id_hash, item.req)


def _store(
    batch: IntakeOutcome,
    items: list[Item],
    bc: BatchCaps,
    persons: PersonsBatch,
    *,
    memo: str,
    logged: list[Item],
    meanwhile: Callable[[], None] | None,
) -> None:
    """Write the kept items and every logged item's event: first the statements that read or
    update (the persons' merge, the counters), then the inserts, each table's COPY running
    while the next one's rows are built (contactsource.copyqueue)."""
    assert batch.source is not None and batch.campaign is not None
    kept = [i for i in items if i.live and not i.outcome.test]
    rows = [_contact_row(i) for i in kept]
    at = items[0].req.received_at
    people = [i.person for i in kept if i.person is not None]
    assert len(people) == len(kept)
    subscribing = persons.merge(people, campaign_id=batch.campaign.pk) if people else None
    bc.flush()
    accepted = sum(i.outcome.status == IntakeStatus.ACCEPTED for i in kept)
    counts: dict[type[Model], int] = {Contact: len(kept), LedgerEntry: 2 * accepted}
    counts.update(subscribing.counts() if subscribing is not None else {})
    counts[IntakeEvent] = len(logged)
    with copies_overlapped(counts):
        ids = bulk_insert_rows(Contact, CONTACT_ROW, rows)
        money = []
        for item, contact_id, row in zip(kept, ids, rows, strict=True):
            outcome = item.outcome
            outcome.contact_id = contact_id
            if outcome.status == IntakeStatus.ACCEPTED:
                assert outcome.cost is not None and outcome.revenue is not None
                money.append(
                    (contact_id, row[0], row[1], row[_UTM_SOURCE], outcome.cost, outcome.revenue)
                )
        ledger_record_intakes(money, at=at, memo=memo)
        if subscribing is not None:
            subscribing.write(ids, campaign_id=batch.campaign.pk, source_id=batch.source.pk, at=at)
        _events_write(logged)
        if meanwhile is not None:
            meanwhile()  # while the helper thread writes


def _events_write(logged: list[Item]) -> None:
    events = [event_values(i.req, i.outcome) for i in logged]
    if events:
        columns = tuple(events[0])  # every row has the same keys, in the same order
        ids = bulk_insert_rows(IntakeEvent, columns, [tuple(e.values()) for e in events])
        for item, event_id in zip(logged, ids, strict=True):
            item.outcome.event_id = event_id


def intake_batch_items(
    *,
    batch: IntakeOutcome,
    items: list[Item],
    capped: bool = True,
    log_refused: bool = True,
    meanwhile: Callable[[], None] | None = None,
) -> None:
    """Decide and store the read items in order, one event each (call inside a transaction).

    A CSV import's chunk comes here too: its rows meet no cap (`capped=False`) and only its
    imported rows are logged (`log_refused=False`: the others become import problems); it
    reads its next chunk in `meanwhile`, called once the writes are sent, while the database
    works on them."""
    assert batch.campaign is not None
    live = [i for i in items if i.live]
    if not live:
        _events_write(items if log_refused else [])
        if meanwhile is not None:
            meanwhile()
        return
    if capped:
        _caps_by_utm(batch, live)
    seen, window = _duplicates_seen(batch, live)
    people = [i for i in live if not i.outcome.test]
    for item in people:
        # The stored contact's person (person_of_contact): its columns are these values.
        item.person = PersonData.from_contact_values(item.values or {})
    # Lock order as a single post: duplicates, then persons, then caps.
    persons = PersonsBatch([i.person for i in people if i.person is not None])
    union = {cap.pk: cap for i in live for cap in i.caps}
    bc = BatchCaps(
        list(union.values()), at=live[0].req.received_at, timezone=batch.campaign.timezone
    )
    for item in live:
        _decide(item, bc, seen, window)
    logged = items if log_refused else [i for i in items if i.live]
    # Uncapped items are a file import's: their ledger rows say so, and cap recounts
    # leave them out as the caps never counted them.
    memo = "" if capped else IMPORTED_MEMO
    _store(batch, items, bc, persons, memo=memo, logged=logged, meanwhile=meanwhile)


def items_store(*, batch: IntakeOutcome, items: list[Item]) -> list[IntakeOutcome]:
    with transaction.atomic():
        intake_batch_items(batch=batch, items=items)
    return [i.outcome for i in items]
