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


def _next_records(imp: ContactImport, limit: int) -> list[CsvRecord]:
    """The next whole records after `offset`; the slice grows if one record does not fit."""
    size = SLICE_BYTES
    while True:
        at_eof = imp.offset + size >= imp.size
        piece = contact_import_bytes(import_id=imp.pk, start=imp.offset, size=size)
        records = csv_records(
            piece, at_eof=at_eof, encoding=imp.encoding, delimiter=imp.delimiter, limit=limit
        )
        if records or at_eof:
            return records
        size *= 4


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


def _read(chunk: _Chunk, number: int, values: list[str]) -> None:
    """The intake's cleaning and field checks (no token, no control keys: the marketer chose
    the source and campaign), priced without scrub; an invalid row becomes a problem."""
    by_column, raw = _row_values(chunk.imp, values)
    chunk.by_column[number] = by_column
    batch = chunk.batch
    req = IntakeRequest(
        source_ref=str(batch.source.pk if batch.source else ""),
        campaign_ref=str(batch.campaign.pk if batch.campaign else ""),
        payload=raw,
        received_at=chunk.now,
        started=time.perf_counter(),
        request_id=chunk.imp.public_id,
        batch_index=number,
    )
    outcome = batch.item(req)
    item = Item(req=req, outcome=outcome)
    fields, item.soft = clean_fields(raw)
    outcome.provided = dict(fields)
    try:
        stored = _read_fields(fields, outcome, item.soft, chunk.specs)
    except IntakeError as exc:
        _problem(chunk, number, ImportRowOutcome.INVALID, exc.errors)
        return
    item_priced(item, stored, scrub=False)
    chunk.items.append(item)


def _write(chunk: _Chunk) -> int:
    """The batch engine decides (duplicates against the table and within the chunk; no caps)
    and writes contacts, money, subscriptions and events; then the problems. Returns the
    number of rows imported."""
    intake_batch_items(batch=chunk.batch, items=chunk.items, capped=False, log_refused=False)
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


def contact_import_run_chunk(*, import_id: int, rows: int | None = None) -> bool:
    """Import the next chunk of rows in one transaction; True while rows remain.

    The import row is locked for the chunk, so two deliveries of the task for the same import
    run one after the other, and the second starts where the first committed.
    """
    limit = rows or settings.IMPORT_CHUNK_ROWS
    with gc_paused(), transaction.atomic():
        imp = ContactImport.objects.select_for_update().defer("content").get(pk=import_id)
        if imp.status not in (ImportStatus.QUEUED, ImportStatus.RUNNING):
            return False
        now = timezone.now()
        if imp.status == ImportStatus.QUEUED:
            imp.status, imp.started_at = ImportStatus.RUNNING, now
        try:
            records = _next_records(imp, limit)
        except CsvFileError as exc:
            raise CsvFileError(f"{exc} It starts after byte {imp.offset} of the file.") from None
        batch = IntakeOutcome(
            request_id=imp.public_id,
            source=imp.source,
            campaign=imp.campaign,
            entry=SourceCampaign.objects.filter(
                source_id=imp.source_id, campaign_id=imp.campaign_id
            ).first(),
        )
        chunk = _Chunk(
            imp=imp, batch=batch, specs=field_specs_for(imp.campaign.fields.all()), now=now
        )
        first = imp.rows_processed + 2  # spreadsheet numbering: the header is row 1
        for number, record in enumerate(records, start=first):
            _read(chunk, number, record.values)
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
