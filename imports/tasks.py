"""Celery tasks of CSV imports (the ContactImport row is the truth).

The tasks keep the names they had in the ingest app: queued messages and beat entries
(contactsource/settings.py) name them so."""

from __future__ import annotations

import logging
import time
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.utils import timezone

from imports.csvfile import CsvFileError
from imports.selectors import contact_imports_stalled
from imports.services import ChunkReader, contact_import_fail, contact_import_run_chunk

logger = logging.getLogger(__name__)

UNEXPECTED = (
    "The import stopped on an unexpected error; the rows counted above were imported. "
    "The server log has the details (import {import_id})."
)


@shared_task(
    name="ingest.tasks.contact_import_run",
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=5,
    retry_backoff_max=300,
    max_retries=20,
)
def contact_import_run(import_id: int) -> None:
    """Import chunk after chunk; past the time budget, hand the rest to a fresh task."""
    deadline = time.monotonic() + settings.IMPORT_TASK_SECONDS
    reader = ChunkReader()
    try:
        while contact_import_run_chunk(import_id=import_id, reader=reader):
            if time.monotonic() >= deadline:
                contact_import_run.delay(import_id)
                return
    except (OperationalError, InterfaceError):
        raise  # the database is away: retried with backoff, resumes at the committed offset
    except CsvFileError as exc:
        contact_import_fail(import_id=import_id, message=str(exc))
    except Exception:
        logger.exception("contact import failed", extra={"import_id": import_id})
        contact_import_fail(import_id=import_id, message=UNEXPECTED.format(import_id=import_id))


@shared_task(name="ingest.tasks.contact_imports_resume")
def contact_imports_resume() -> int:
    """Beat: re-enqueue imports whose task was lost (a worker killed, the broker flushed)."""
    since = timezone.now() - timedelta(seconds=settings.IMPORT_STALE_SECONDS)
    stalled = contact_imports_stalled(updated_before=since)
    for import_id in stalled:
        contact_import_run.delay(import_id)
    return len(stalled)
