"""CSV import pages: upload, map columns, watch the progress, download the problem rows."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Case, IntegerField, Value, When
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse

from campaigns.fields import FieldSpec, field_specs_for
from campaigns.models import Campaign
from contactsource.csvexport import stream_csv
from imports.csvfile import SNIFF_BYTES, CsvFileError, csv_inspect
from imports.mapping import mapping_problems
from imports.models import ContactImport, ContactImportProblem, ImportStatus
from imports.selectors import (
    contact_import_bytes,
    contact_import_problems,
    contact_import_progress,
)
from imports.services import ImportStateError, contact_import_create, contact_import_start
from sources.models import Source

ADD_PERMISSION = "imports.add_contactimport"
VIEW_PERMISSION = "imports.view_contactimport"
PREVIEW_PROBLEMS = 20


def _require(request: HttpRequest, permission: str) -> None:
    if not request.user.has_perm(permission):
        raise PermissionDenied


class ImportUploadForm(forms.Form):
    source = forms.ModelChoiceField(Source.objects.all(), empty_label="Select a source")
    campaign = forms.ModelChoiceField(Campaign.objects.all(), empty_label="Select a campaign")
    file = forms.FileField(
        label="CSV file",
        help_text="One header row naming the columns, then one contact per row (UTF-8 or "
        "Windows-1252; comma, semicolon, tab or pipe separated).",
        widget=forms.ClearableFileInput({"accept": ".csv,text/csv,text/plain"}),
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        limit = settings.IMPORT_MAX_BYTES
        if upload.size > limit:
            raise forms.ValidationError(
                f"The file is {upload.size / 1_048_576:.1f} MiB; the limit is "
                f"{limit / 1_048_576:.0f} MiB. Split it into smaller files."
            )
        return upload


def upload_view(request: HttpRequest) -> HttpResponse:
    _require(request, ADD_PERMISSION)
    form = ImportUploadForm(
        request.POST or None, request.FILES or None, initial=request.GET.dict() or None
    )
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            imp = contact_import_create(
                source=form.cleaned_data["source"],
                campaign=form.cleaned_data["campaign"],
                filename=upload.name,
                content=upload.read(),
                user=request.user,
            )
        except CsvFileError as exc:
            form.add_error("file", str(exc))
        else:
            return HttpResponseRedirect(
                reverse("admin:imports_contactimport_mapping", args=[imp.pk])
            )
    context = {
        **admin.site.each_context(request),
        "title": "Import contacts from a CSV file",
        "opts": ContactImport._meta,
        "form": form,
        "max_mib": settings.IMPORT_MAX_BYTES // 1_048_576,
    }
    return TemplateResponse(request, "admin/imports/contactimport/upload.html", context)


def _ordered_specs(campaign: Campaign) -> dict[str, FieldSpec]:
    """The campaign's own fields first (in its order), then the other standard fields."""
    own = list(campaign.fields.all())
    specs = field_specs_for(own)
    first = [field.key for field in own]
    return {key: specs[key] for key in first + [k for k in specs if k not in first]}


class ImportMappingForm(forms.Form):
    def __init__(self, *args: Any, imp: ContactImport, specs: dict[str, FieldSpec], **kw: Any):
        super().__init__(*args, **kw)
        self.specs = specs
        choices = [("", "— ignore this column —")] + [
            (key, f"{spec.label} ({key}){' — required' if spec.required else ''}")
            for key, spec in specs.items()
        ]
        for index, column in enumerate(imp.columns):
            self.fields[f"column_{index}"] = forms.ChoiceField(
                choices=choices,
                required=False,
                label=column or f"column {index + 1}",
                initial=imp.mapping.get(str(index), ""),
            )

    def mapping(self) -> dict[str, str]:
        data = getattr(self, "cleaned_data", {})
        return {
            name.removeprefix("column_"): value
            for name, value in data.items()
            if name.startswith("column_") and value
        }

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        problems = mapping_problems(self.mapping(), self.specs)
        if problems:
            raise forms.ValidationError(problems)
        return data


def mapping_view(request: HttpRequest, object_id: str) -> HttpResponse:
    _require(request, ADD_PERMISSION)
    imp = get_object_or_404(
        ContactImport.objects.select_related("source", "campaign").defer("content"), pk=object_id
    )
    progress_url = reverse("admin:imports_contactimport_change", args=[imp.pk])
    if imp.status != ImportStatus.MAPPING:
        return HttpResponseRedirect(progress_url)
    form = ImportMappingForm(request.POST or None, imp=imp, specs=_ordered_specs(imp.campaign))
    if request.method == "POST" and form.is_valid():
        try:
            contact_import_start(contact_import=imp, mapping=form.mapping())
        except ImportStateError as exc:
            messages.warning(request, str(exc))
        return HttpResponseRedirect(progress_url)
    samples = _samples(imp)
    rows = [
        {"field": form[f"column_{index}"], "samples": [row[index] for row in samples]}
        for index in range(len(imp.columns))
    ]
    context = {
        **admin.site.each_context(request),
        "title": f"Map the columns of {imp.filename}",
        "opts": ContactImport._meta,
        "original": imp,
        "form": form,
        "rows": rows,
    }
    return TemplateResponse(request, "admin/imports/contactimport/mapping.html", context)


def _samples(imp: ContactImport) -> list[list[str]]:
    """The first rows of the file, read again from its head (the file is not kept in memory)."""
    width = len(imp.columns)
    head = contact_import_bytes(import_id=imp.pk, start=0, size=SNIFF_BYTES)
    try:
        samples = csv_inspect(head).samples
    except CsvFileError:
        samples = []
    return [(row + [""] * width)[:width] for row in samples]


def progress_view(request: HttpRequest, object_id: str) -> HttpResponse:
    _require(request, VIEW_PERMISSION)
    imp = get_object_or_404(
        ContactImport.objects.select_related("source", "campaign", "created_by").defer("content"),
        pk=object_id,
    )
    if imp.status == ImportStatus.MAPPING and request.user.has_perm(ADD_PERMISSION):
        return HttpResponseRedirect(reverse("admin:imports_contactimport_mapping", args=[imp.pk]))
    problems = contact_import_problems(imp)
    context = {
        **admin.site.each_context(request),
        "title": f"Import {imp.pk}: {imp.filename}",
        "opts": ContactImport._meta,
        "original": imp,
        "progress": contact_import_progress(imp),
        "problems": _worst_first(problems)[:PREVIEW_PROBLEMS],
        "problem_count": imp.rows_invalid + imp.rows_duplicate + imp.rows_warned,
        "mapping": [
            (imp.columns[int(index)] if int(index) < len(imp.columns) else index, key)
            for index, key in sorted(imp.mapping.items(), key=lambda item: int(item[0]))
        ],
    }
    return TemplateResponse(request, "admin/imports/contactimport/progress.html", context)


def _worst_first(problems: Any) -> Any:
    # Rows not imported before rows imported with a warning.
    rank = Case(
        When(outcome="warned", then=Value(1)), default=Value(0), output_field=IntegerField()
    )
    return problems.order_by(rank, "row_number", "id")


def progress_json_view(request: HttpRequest, object_id: str) -> HttpResponse:
    _require(request, VIEW_PERMISSION)
    imp = get_object_or_404(ContactImport.objects.defer("content"), pk=object_id)
    response = JsonResponse(contact_import_progress(imp))
    response["Cache-Control"] = "no-store"
    return response


def _problem_rows(imp: ContactImport) -> Iterator[list[Any]]:
    last = 0
    while True:
        # Keyset chunks by id (ids follow row order): constant memory however many rows.
        chunk = list(
            ContactImportProblem.objects.filter(contact_import=imp, pk__gt=last).order_by("pk")[
                :2000
            ]
        )
        if not chunk:
            return
        for problem in chunk:
            errors = "; ".join(f"{key}: {message}" for key, message in problem.errors.items())
            values = [
                problem.values.get(name or f"column {i + 1}", "")
                for i, name in enumerate(imp.columns)
            ]
            yield [problem.row_number, problem.get_outcome_display(), errors, *values]
        last = chunk[-1].pk


def problems_csv_view(request: HttpRequest, object_id: str) -> HttpResponseBase:
    _require(request, VIEW_PERMISSION)
    imp = get_object_or_404(ContactImport.objects.defer("content"), pk=object_id)
    header = [
        "row",
        "outcome",
        "errors",
        *[name or f"column {i + 1}" for i, name in enumerate(imp.columns)],
    ]
    return stream_csv(f"import-{imp.pk}-problems.csv", header, _problem_rows(imp))
