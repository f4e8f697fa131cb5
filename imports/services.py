"""Writes for CSV imports: create from an upload, start with a column mapping, run chunk by chunk.

Each row is read by the intake's own pieces (the same cleaning, field normalisation, utm_source
override and required-field rules), and a chunk of rows is decided and written by the batch
intake's engine (ingest.batch_store): the duplicate rule against the table and within the chunk,
and an imported row stored as an accepted intake is, set-based: Contact, ledger rows, person
and subscription (so the CRMs get their callbacks) and an IntakeEvent. As in the anchor, caps,
scrub and the real-time buyer do not apply to imported rows (they neither count against nor are
held by a cap), and there is no token or whitelist check: the marketer chose the source and the
campaign.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from campaigns.fields import FieldSpec, field_specs_for
from campaigns.models import Campaign
from contactsource.gcpause import gc_paused
from imports.csvfile import CsvFileError, CsvRecord, csv_inspect, csv_records
from imports.mapping import mapping_guess
from imports.models import ContactImport, ContactImportProblem, ImportRowOutcome, ImportStatus
from imports.selectors import contact_import_bytes
from ingest.batch_store import intake_batch_items
from ingest.errors import IntakeError
from ingest.parsing import clean_fields
from ingest.pipeline import IntakeOutcome, IntakeRequest
from ingest.services.decide import Item, _read_fields, item_priced
from sources.models import Source, SourceCampaign

logger = logging.getLogger(__name__)

SLICE_BYTES = 1024 * 1024


class ImportStateError(Exception):
    """The import is not in a state that allows this step (e.g. mapped twice)."""


def contact_import_create(
    *, source: Source, campaign: Campaign, filename: str, content: bytes, user: Any = None
) -> ContactImport:
    """Store an uploaded file after checking it is CSV (raises CsvFileError with the reason)."""
    layout = csv_inspect(content)
    specs = field_specs_for(campaign.fields.all())
    return ContactImport.objects.create(
        source=source,
        campaign=campaign,
        created_by=user if getattr(user, "pk", None) else None,
        filename=filename[:255],
        content=content,
        size=len(content),
        encoding=layout.encoding,
        delimiter=layout.delimiter,
        columns=layout.columns,
        mapping=mapping_guess(layout.columns, specs),
        data_start=layout.data_offset,
        offset=layout.data_offset,
    )


def contact_import_start(*, contact_import: ContactImport, mapping: dict[str, str]) -> None:
    """Save the column mapping and queue the import (once: a second submit changes nothing)."""
    from imports.tasks import contact_import_run

    with transaction.atomic():
        started = ContactImport.objects.filter(
            pk=contact_import.pk, status=ImportStatus.MAPPING
        ).update(mapping=mapping, status=ImportStatus.QUEUED, updated_at=timezone.now())
        if not started:
            raise ImportStateError("This import has already been started.")
        transaction.on_commit(lambda: contact_import_run.delay(contact_import.pk))
    contact_import.refresh_from_db()


def contact_import_fail(*, import_id: int, message: str) -> None:
    ContactImport.objects.filter(
        pk=import_id, status__in=[ImportStatus.QUEUED, ImportStatus.RUNNING]
    ).update(
        status=ImportStatus.FAILED,
        error=message,
        finished_at=timezone.now(),
        updated_at=timezone.now(),
    )


def _next_records(imp: ContactImport, limit: int) -> tuple[list[CsvRecord], bytes, bool]:
    """The next whole records after `offset`, with the slice they came from and whether it
    reaches the end of the file; the slice grows if one record does not fit."""
    size = SLICE_BYTES
    while True:
        at_eof = imp.offset + size >= imp.size
        piece = contact_import_bytes(import_id=imp.pk, start=imp.offset, size=size)
        records = csv_records(
            piece, at_eof=at_eof, encoding=imp.encoding, delimiter=imp.delimiter, limit=limit
        )
        if records or at_eof:
            return records, piece, at_eof
        size *= 4


@dataclass(frozen=True)
class _RowRead:
    """One record read against the campaign's fields (no chunk's state): what `_take` needs to
    make it a chunk's item, or its problem."""

    number: int
    by_column: dict[str, str]
    raw: dict[str, str]
    provided: dict[str, Any]
    soft: dict[str, str]
    stored: dict[str, Any]
    values: dict[str, Any] | None  # None: the row is invalid
    errors: Any = None


@dataclass(frozen=True)
class _Ahead:
    """The next chunk's records, read while this chunk's rows were written, and what reading
    them depended on: used only if the next chunk finds all of it unchanged."""

    basis: tuple[Any, ...]
    records: list[CsvRecord]
    rows: list[_RowRead]
    piece: bytes  # the file from the first of `records` on, as far as the slice went
    at_eof: bool


@dataclass
class ChunkReader:
    """Kept by a task from chunk to chunk: the next chunk's rows, read (parsed, cleaned and
    normalised: pure Python) while the database writes the current chunk's rows."""

    ahead: _Ahead | None = None


@dataclass
class _Chunk:
    """One chunk of rows: decided and written by the batch intake's engine in one transaction."""

    imp: ContactImport
    batch: IntakeOutcome
    specs: dict[str, FieldSpec]
    now: datetime
    items: list[Item] = field(default_factory=list)
    by_column: dict[int, dict[str, str]] = field(default_factory=dict)
    problems: list[ContactImportProblem] = field(default_factory=list)
    meanwhile: Callable[[], None] | None = None  # work for while the rows are written


def _row_values(imp: ContactImport, values: list[str]) -> tuple[dict[str, str], dict[str, str]]:
    """The row by column name (for the problems report) and by mapped field key."""
    by_column = {
        name or f"column {index + 1}": value
        for index, (name, value) in enumerate(zip(imp.columns, values, strict=False))
    }
    raw = {key: values[int(i)] for i, key in imp.mapping.items() if key and int(i) < len(values)}
    return by_column, raw


def _problem(chunk: _Chunk, number: int, outcome: str, errs: Any) -> None:
    chunk.problems.append(
        ContactImportProblem(
            contact_import=chunk.imp,
            row_number=number,
            outcome=outcome,
            values=chunk.by_column[number],
            errors=errs,
        )
    )


def _read_row(
    imp: ContactImport, specs: dict[str, FieldSpec], number: int, values: list[str]
) -> _RowRead:
    """The intake's cleaning and field checks (no token, no control keys: the marketer chose
    the source and campaign)."""
    by_column, raw = _row_values(imp, values)
    # The fields' rules read only the campaign and source (not the entry, not the clock).
    reading = IntakeOutcome(request_id=imp.public_id, source=imp.source, campaign=imp.campaign)
    fields, soft = clean_fields(raw)
    provided = dict(fields)
    try:
        stored = _read_fields(fields, reading, soft, specs)
    except IntakeError as exc:
        return _RowRead(number, by_column, raw, provided, soft, {}, None, exc.errors)
    return _RowRead(number, by_column, raw, provided, soft, reading.stored or {}, stored)


def _take(chunk: _Chunk, row: _RowRead) -> None:
    """A read row as an item of this chunk, priced without scrub; an invalid row becomes a
    problem."""
    chunk.by_column[row.number] = row.by_column
    if row.values is None:
        _problem(chunk, row.number, ImportRowOutcome.INVALID, row.errors)
        return
    batch = chunk.batch
    req = IntakeRequest(
        source_ref=str(batch.source.pk if batch.source else ""),
        campaign_ref=str(batch.campaign.pk if batch.campaign else ""),
        payload=row.raw,
        received_at=chunk.now,
        started=time.perf_counter(),
        request_id=chunk.imp.public_id,
        batch_index=row.number,
    )
    outcome = batch.item(req)
    item = Item(req=req, outcome=outcome, soft=dict(row.soft))
    outcome.provided = dict(row.provided)
    outcome.stored = dict(row.stored)
    item_priced(item, dict(row.values), scrub=False)
    chunk.items.append(item)


def _basis(
    imp: ContactImport, specs: dict[str, FieldSpec], *, offset: int, processed: int, limit: int
) -> tuple[Any, ...]:
    """Everything reading a chunk's rows depends on, but the file's bytes (which never change)."""
    return (
        imp.pk,
        offset,
        processed,
        limit,
        imp.encoding,
        imp.delimiter,
        tuple(imp.columns),
        tuple(sorted(imp.mapping.items())),
        tuple(specs.items()),
        imp.campaign.phone_region,
        imp.campaign.timezone,
        imp.source.utm_source,
    )


def _read_ahead(
    imp: ContactImport,
    specs: dict[str, FieldSpec],
    records: list[CsvRecord],
    piece: bytes,
    at_eof: bool,
    limit: int,
) -> _Ahead | None:
    """The next chunk's rows from what is left of this chunk's slice, if a whole chunk is in it
    (reading its own slice from there, the next chunk would find the same records)."""
    if not records:
        return None
    rest = piece[records[-1].end :]
    following = csv_records(
        rest, at_eof=at_eof, encoding=imp.encoding, delimiter=imp.delimiter, limit=limit
    )
    if len(following) < limit and not at_eof:
        return None  # its last record may go on past the slice: the next chunk reads its own
    processed = imp.rows_processed + len(records)
    rows = [
        _read_row(imp, specs, number, record.values)
        for number, record in enumerate(following, start=processed + 2)
    ]
    offset = imp.offset + records[-1].end
    basis = _basis(imp, specs, offset=offset, processed=processed, limit=limit)
    return _Ahead(basis=basis, records=following, rows=rows, piece=rest, at_eof=at_eof)


def _write(chunk: _Chunk) -> int:
    """The batch engine decides (duplicates against the table and within the chunk; no caps)
    and writes contacts, money, subscriptions and events (calling `chunk.meanwhile` while the
    database writes them); then the problems. Returns the number of rows imported."""
    intake_batch_items(
        batch=chunk.batch,
        items=chunk.items,
        capped=False,
        log_refused=False,
        meanwhile=chunk.meanwhile,
    )
    imported = 0
    for item in chunk.items:
        number = item.req.batch_index
        assert number is not None
        if item.refusal is not None:
            # Only the duplicate rule refuses a read row here (no caps for imports).
            message = item.refusal.message
            _problem(chunk, number, ImportRowOutcome.DUPLICATE, {"duplicate": message})
            continue
        imported += 1
        if item.soft:
            _problem(chunk, number, ImportRowOutcome.WARNED, dict(item.soft))
    by_row = {i.req.batch_index: i.outcome.contact_id for i in chunk.items}
    for problem in chunk.problems:
        problem.contact_id = by_row.get(problem.row_number)
    ContactImportProblem.objects.bulk_create(chunk.problems)
    return imported


def contact_import_run_chunk(
    *, import_id: int, rows: int | None = None, reader: ChunkReader | None = None
) -> bool:
    """Import the next chunk of rows in one transaction; True while rows remain.

    The import row is locked for the chunk, so two deliveries of the task for the same import
    run one after the other, and the second starts where the first committed. With a `reader`
    (a task's, kept from chunk to chunk), the next chunk's rows are read while this chunk's
    are written, and used by the next chunk if nothing they depend on has changed.
    """
    limit = rows or settings.IMPORT_CHUNK_ROWS
    with gc_paused(), transaction.atomic():
        imp = ContactImport.objects.select_for_update().defer("content").get(pk=import_id)
        if imp.status not in (ImportStatus.QUEUED, ImportStatus.RUNNING):
            return False
        now = timezone.now()
        if imp.status == ImportStatus.QUEUED:
            imp.status, imp.started_at = ImportStatus.RUNNING, now
        specs = field_specs_for(imp.campaign.fields.all())
        ahead, piece, at_eof = reader.ahead if reader else None, b"", False
        if reader is not None:
            reader.ahead = None
        basis = _basis(imp, specs, offset=imp.offset, processed=imp.rows_processed, limit=limit)
        if ahead is not None and ahead.basis == basis:
            records, read, piece, at_eof = ahead.records, ahead.rows, ahead.piece, ahead.at_eof
        else:
            try:
                records, piece, at_eof = _next_records(imp, limit)
            except CsvFileError as exc:
                raise CsvFileError(
                    f"{exc} It starts after byte {imp.offset} of the file."
                ) from None
            first = imp.rows_processed + 2  # spreadsheet numbering: the header is row 1
            read = [
                _read_row(imp, specs, number, record.values)
                for number, record in enumerate(records, start=first)
            ]
        batch = IntakeOutcome(
            request_id=imp.public_id,
            source=imp.source,
            campaign=imp.campaign,
            entry=SourceCampaign.objects.filter(
                source_id=imp.source_id, campaign_id=imp.campaign_id
            ).first(),
        )
        chunk = _Chunk(imp=imp, batch=batch, specs=specs, now=now)
        for row in read:
            _take(chunk, row)

        def read_next() -> None:
            if reader is not None and piece:
                try:
                    reader.ahead = _read_ahead(imp, specs, records, piece, at_eof, limit)
                except CsvFileError:
                    reader.ahead = None  # the next chunk reads it again, and says why

        chunk.meanwhile = read_next
        imported = _write(chunk)
        imp.offset = imp.offset + records[-1].end if records else imp.size
        imp.rows_processed += len(records)
        imp.rows_imported += imported
        imp.rows_invalid += sum(p.outcome == ImportRowOutcome.INVALID for p in chunk.problems)
        imp.rows_duplicate += sum(p.outcome == ImportRowOutcome.DUPLICATE for p in chunk.problems)
        imp.rows_warned += sum(p.outcome == ImportRowOutcome.WARNED for p in chunk.problems)
        if imp.offset >= imp.size:
            imp.status, imp.finished_at = ImportStatus.DONE, now
        imp.save()
    return imp.status == ImportStatus.RUNNING
