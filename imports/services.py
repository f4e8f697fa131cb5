"""Writes for CSV imports: create from an upload, start with a column mapping, run chunk by chunk.

Each row goes through the intake's own pieces (ingest.services, ingest.admission): the same
cleaning, field normalisation, required-field and duplicate rules, and an imported row is
stored as an accepted intake is: Contact, ledger rows, person and subscription (so the CRMs get
their callbacks) and an IntakeEvent. As in the anchor, caps, scrub and the real-time buyer do
not apply to imported rows (they neither count against nor are held by a cap), and there is no
token or whitelist check: the marketer chose the source and the campaign.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from campaigns.fields import FieldSpec, field_specs_for
from campaigns.models import Campaign
from contactsource.bulk import bulk_insert
from finance.services import IMPORTED_MEMO, ledger_record_intake
from imports.csvfile import CsvFileError, CsvRecord, csv_inspect, csv_records
from imports.mapping import mapping_guess
from imports.models import ContactImport, ContactImportProblem, ImportRowOutcome, ImportStatus
from imports.selectors import contact_import_bytes
from ingest import errors
from ingest.admission import duplicate_check_locked, humanize_window
from ingest.errors import IntakeError
from ingest.models import Contact, IntakeEvent, IntakeStatus
from ingest.parsing import clean_fields
from ingest.pipeline import IntakeOutcome, IntakeRequest
from ingest.services.decide import _contact_build, _read_fields, identity_hash, identity_of
from ingest.services.events import event_build
from ingest.services.store import _subscribe
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
    """What one chunk of rows produced, written in one transaction."""

    imp: ContactImport
    source: Source
    campaign: Campaign
    entry: SourceCampaign | None
    specs: dict[str, FieldSpec]
    now: datetime
    accepted: list[tuple[IntakeRequest, IntakeOutcome, Contact]] = field(default_factory=list)
    problems: list[ContactImportProblem] = field(default_factory=list)


@dataclass
class _ValidRow:
    number: int
    by_column: dict[str, str]
    req: IntakeRequest
    outcome: IntakeOutcome
    stored: dict[str, Any]
    soft: dict[str, str]
    id_hash: str


def _row_values(imp: ContactImport, values: list[str]) -> tuple[dict[str, str], dict[str, str]]:
    """The row by column name (for the problems report) and by mapped field key."""
    by_column = {
        name or f"column {index + 1}": value
        for index, (name, value) in enumerate(zip(imp.columns, values, strict=False))
    }
    raw = {key: values[int(i)] for i, key in imp.mapping.items() if key and int(i) < len(values)}
    return by_column, raw


def _problem(chunk: _Chunk, number: int, outcome: str, values: dict[str, str], errs: Any) -> None:
    chunk.problems.append(
        ContactImportProblem(
            contact_import=chunk.imp, row_number=number, outcome=outcome, values=values, errors=errs
        )
    )


def _validate(chunk: _Chunk, number: int, values: list[str]) -> _ValidRow | None:
    """The intake's cleaning and field checks; an invalid row becomes a problem."""
    by_column, raw = _row_values(chunk.imp, values)
    req = IntakeRequest(
        source_ref=str(chunk.source.pk),
        campaign_ref=str(chunk.campaign.pk),
        payload=raw,
        received_at=chunk.now,
        started=time.perf_counter(),
        request_id=chunk.imp.public_id,
        batch_index=number,
    )
    outcome = IntakeOutcome(
        request_id=req.request_id, source=chunk.source, campaign=chunk.campaign, entry=chunk.entry
    )
    fields, soft = clean_fields(raw)
    outcome.provided = dict(fields)
    try:
        stored = _read_fields(fields, outcome, soft, chunk.specs)
    except IntakeError as exc:
        _problem(chunk, number, ImportRowOutcome.INVALID, by_column, exc.errors)
        return None
    id_hash = identity_hash(identity_of(stored))
    return _ValidRow(number, by_column, req, outcome, stored, soft, id_hash)


def _duplicate(chunk: _Chunk, row: _ValidRow, seen: set[str]) -> str | None:
    """The intake's duplicate rule (locked per identity until the chunk commits, so a post of
    the same person racing the import waits and then sees it), plus rows of this same chunk."""
    try:
        duplicate_check_locked(row.outcome, row.id_hash, chunk.now)
    except IntakeError as exc:
        return exc.message
    window = chunk.entry.duplicate_window if chunk.entry else None
    if window and row.id_hash:
        if row.id_hash in seen:
            # The earlier contact is a row of this same import, stored with it.
            return errors.duplicate_message(row.stored, chunk.now, humanize_window(window))
        seen.add(row.id_hash)
    return None


def _accept_or_duplicate(chunk: _Chunk, rows: list[_ValidRow]) -> None:
    seen: set[str] = set()
    for row in rows:
        if message := _duplicate(chunk, row, seen):
            _problem(
                chunk, row.number, ImportRowOutcome.DUPLICATE, row.by_column, {"duplicate": message}
            )
            continue
        outcome = row.outcome
        outcome.status, outcome.http_status = IntakeStatus.ACCEPTED, 200
        outcome.cost = chunk.entry.cost if chunk.entry else Decimal("0")
        outcome.revenue = chunk.campaign.revenue
        outcome.errors = dict(row.soft)
        contact = _contact_build(outcome, row.stored, row.id_hash, row.req)
        chunk.accepted.append((row.req, outcome, contact))
        if row.soft:
            _problem(chunk, row.number, ImportRowOutcome.WARNED, row.by_column, dict(row.soft))


def _ledger_record_imported(req: IntakeRequest, outcome: IntakeOutcome, contact: Contact) -> None:
    """The intake's ledger rows, marked imported: a cap recount leaves them out, as the caps
    never counted them."""
    assert outcome.cost is not None and outcome.revenue is not None
    ledger_record_intake(
        contact_id=contact.pk,
        source_id=contact.source_id,
        campaign_id=contact.campaign_id,
        utm_source=contact.utm_source,
        cost=outcome.cost,
        revenue=outcome.revenue,
        at=req.received_at,
        memo=IMPORTED_MEMO,
    )


def _write(chunk: _Chunk) -> None:
    """Contacts, their money and subscriptions (as an accepted intake), events, problems."""
    contacts = bulk_insert(Contact, [contact for _req, _out, contact in chunk.accepted])
    events = []
    for (req, outcome, _contact), contact in zip(chunk.accepted, contacts, strict=True):
        outcome.contact_id = contact.pk
        _ledger_record_imported(req, outcome, contact)
        _subscribe(req, contact, None)
        events.append(event_build(req, outcome))
    bulk_insert(IntakeEvent, events)
    by_row = {
        req.batch_index: contact
        for (req, _out, _con), contact in zip(chunk.accepted, contacts, strict=True)
    }
    for problem in chunk.problems:
        problem.contact = by_row.get(problem.row_number)
    ContactImportProblem.objects.bulk_create(chunk.problems)


def contact_import_run_chunk(*, import_id: int, rows: int | None = None) -> bool:
    """Import the next chunk of rows in one transaction; True while rows remain.

    The import row is locked for the chunk, so two deliveries of the task for the same import
    run one after the other, and the second starts where the first committed.
    """
    limit = rows or settings.IMPORT_CHUNK_ROWS
    with transaction.atomic():
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
        chunk = _Chunk(
            imp=imp,
            source=imp.source,
            campaign=imp.campaign,
            entry=SourceCampaign.objects.filter(
                source_id=imp.source_id, campaign_id=imp.campaign_id
            ).first(),
            specs=field_specs_for(imp.campaign.fields.all()),
            now=now,
        )
        first = imp.rows_processed + 2  # spreadsheet numbering: the header is row 1
        valid = [
            row
            for number, record in enumerate(records, start=first)
            if (row := _validate(chunk, number, record.values)) is not None
        ]
        _accept_or_duplicate(chunk, valid)
        _write(chunk)
        imp.offset = imp.offset + records[-1].end if records else imp.size
        imp.rows_processed += len(records)
        imp.rows_imported += len(chunk.accepted)
        imp.rows_invalid += sum(p.outcome == ImportRowOutcome.INVALID for p in chunk.problems)
        imp.rows_duplicate += sum(p.outcome == ImportRowOutcome.DUPLICATE for p in chunk.problems)
        imp.rows_warned += sum(p.outcome == ImportRowOutcome.WARNED for p in chunk.problems)
        if imp.offset >= imp.size:
            imp.status, imp.finished_at = ImportStatus.DONE, now
        imp.save()
    return imp.status == ImportStatus.RUNNING
