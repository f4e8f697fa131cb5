"""Reads for CSV imports: progress, the problem rows, imports whose task was lost."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import BinaryField, QuerySet
from django.db.models.functions import Substr

from imports.models import ContactImport, ContactImportProblem, ImportStatus

ACTIVE = (ImportStatus.QUEUED, ImportStatus.RUNNING)


def contact_import_progress(imp: ContactImport) -> dict[str, Any]:
    """What the progress bar shows; the percentage is the share of the rows' bytes read."""
    rows_bytes = imp.size - imp.data_start
    if imp.status == ImportStatus.DONE:
        percent = 100
    elif rows_bytes > 0:
        percent = min(99, int((imp.offset - imp.data_start) * 100 / rows_bytes))
    else:
        percent = 0
    return {
        "id": imp.pk,
        "status": imp.status,
        "status_label": imp.get_status_display(),
        "done": imp.status in (ImportStatus.DONE, ImportStatus.FAILED),
        "percent": percent,
        "rows_processed": imp.rows_processed,
        "rows_imported": imp.rows_imported,
        "rows_invalid": imp.rows_invalid,
        "rows_duplicate": imp.rows_duplicate,
        "rows_warned": imp.rows_warned,
        "error": imp.error,
    }


def contact_import_problems(imp: ContactImport) -> QuerySet[ContactImportProblem]:
    return ContactImportProblem.objects.filter(contact_import=imp).order_by("row_number", "id")


def contact_imports_stalled(*, updated_before: datetime) -> list[int]:
    """Queued or running imports nobody has touched since `updated_before`."""
    return list(
        ContactImport.objects.filter(status__in=ACTIVE, updated_at__lt=updated_before)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def contact_import_bytes(*, import_id: int, start: int, size: int) -> bytes:
    """`size` bytes of the uploaded file from byte `start` (0-based): only the slice is read."""
    piece = (
        ContactImport.objects.filter(pk=import_id)
        .annotate(piece=Substr("content", start + 1, size, output_field=BinaryField()))
        .values_list("piece", flat=True)
        .get()
    )
    return bytes(piece or b"")
