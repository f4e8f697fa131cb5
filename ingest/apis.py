"""Management API over what the intake produced: contacts, intake events and their stats.

All read-only: contacts and events are written by the intake alone (and by imports).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework.viewsets import GenericViewSet

from campaigns.fields import field_specs_for
from contactsource.api import Conflict, ModelPermissions, Pagination, ReadOnlyViewSet
from imports.csvfile import CsvFileError
from imports.mapping import mapping_problems
from imports.services import ImportStateError, contact_import_create, contact_import_start
from ingest.filters import ContactFilterSet, ContactImportFilterSet, IntakeEventFilterSet
from ingest.models import Contact, ContactImport, ContactImportProblem, IntakeEvent
from ingest.serializers import (
    ContactImportCreateSerializer,
    ContactImportProblemSerializer,
    ContactImportSerializer,
    ContactImportStartSerializer,
    ContactSerializer,
    IntakeEventSerializer,
    StatsQuerySerializer,
    StatsSerializer,
)
from reports.selectors.api_stats import StatsQuery, intake_stats, intake_stats_totals

DEFAULT_STATS_RANGE = timedelta(days=30)


@extend_schema_view(
    list=extend_schema(summary="List contacts"),
    retrieve=extend_schema(summary="Get a contact"),
)
class ContactViewSet(ReadOnlyViewSet):
    queryset = Contact.objects.all()
    serializer_class = ContactSerializer
    filterset_class = ContactFilterSet
    ordering_fields = ["id", "created_at"]


@extend_schema_view(
    list=extend_schema(
        summary="List intake events",
        description="One event per intake request (one per batch item): the log behind the "
        "timeline and the charts, newest first.",
    ),
    retrieve=extend_schema(summary="Get an intake event"),
)
class IntakeEventViewSet(ReadOnlyViewSet):
    queryset = IntakeEvent.objects.all()
    serializer_class = IntakeEventSerializer
    filterset_class = IntakeEventFilterSet
    ordering_fields = ["id", "created_at", "duration"]


def _money(row: dict[str, Any]) -> dict[str, Any]:
    row["margin"] = row["revenue"] - row["cost"]
    for key, name in (("source_id", "source"), ("campaign_id", "campaign")):
        if key in row:
            row[name] = row.pop(key)
    for key in ("source__name", "campaign__name"):
        if key in row:
            row[key.replace("__", "_")] = row.pop(key)
    return row


class StatsView(APIView):
    """Intake aggregates: by time bucket and by status, source and campaign (GROUP BY in SQL)."""

    permission_classes = [ModelPermissions]
    queryset = IntakeEvent.objects.none()  # the permission is view_intakeevent

    @extend_schema(
        summary="Intake statistics",
        description="Counts, accepted counts, cost, revenue and margin of intake requests, "
        "grouped by time bucket and optionally by status, source and campaign. Test posts and "
        "idempotent replays are not counted.",
        parameters=[StatsQuerySerializer],
        responses={200: StatsSerializer},
    )
    def get(self, request: Request) -> Response:
        params = StatsQuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        tz_name = data.get("tz") or "UTC"
        try:
            tz = ZoneInfo(tz_name)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValidationError({"tz": f"'{tz_name}' is not an IANA timezone."}) from None
        end = data.get("created_before") or timezone.now()
        start = data.get("created_after") or end - DEFAULT_STATS_RANGE
        query = StatsQuery(
            start=start,
            end=end,
            interval=data["interval"],
            group_by=tuple(dict.fromkeys(data.get("group_by") or [])),
            tz=tz,
            source_id=data.get("source"),
            campaign_id=data.get("campaign"),
            status=data.get("status") or "",
        )
        rows, truncated = intake_stats(query)
        body = {
            "created_after": start,
            "created_before": end,
            "interval": query.interval,
            "group_by": list(query.group_by),
            "tz": tz_name,
            "totals": _money(intake_stats_totals(query)),
            "results": [_money(row) for row in rows],
            "truncated": truncated,
        }
        # Buckets read best in the timezone they were cut in (2025-03-03T00:00:00+09:00).
        with timezone.override(tz):
            return Response(StatsSerializer(body).data)


def _mapping_errors(imp: ContactImport, mapping: dict[str, str]) -> list[str]:
    problems = [
        f"'{index}' is not a column of this file (0 to {len(imp.columns) - 1})."
        for index in mapping
        if not (index.isdigit() and int(index) < len(imp.columns))
    ]
    specs = field_specs_for(imp.campaign.fields.all())
    return problems + mapping_problems({k: v for k, v in mapping.items() if v}, specs)


@extend_schema_view(
    list=extend_schema(summary="List CSV imports"),
    retrieve=extend_schema(summary="Get a CSV import and its progress"),
)
class ContactImportViewSet(
    mixins.CreateModelMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, GenericViewSet
):
    """Import a CSV file into a source and campaign: upload, map the columns, start, watch.

    Rows go through the intake's own rules (fields, required ones, duplicates) and are stored as
    accepted contacts with their money, subscription and callbacks (docs/admin.md)."""

    queryset = ContactImport.objects.defer("content").select_related("campaign")
    serializer_class = ContactImportSerializer
    filterset_class = ContactImportFilterSet
    ordering_fields = ["id", "created_at"]
    permission_classes = [ModelPermissions]
    pagination_class = Pagination
    parser_classes = [MultiPartParser, FormParser, JSONParser]
    action_permissions = {"start": ("ingest.add_contactimport",)}

    @extend_schema(
        summary="Upload a CSV file",
        description="Stores the file and guesses a column mapping from the header; start the "
        "import with the start action once the mapping is right.",
        request={"multipart/form-data": ContactImportCreateSerializer},
        responses={201: ContactImportSerializer},
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        params = ContactImportCreateSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        try:
            imp = contact_import_create(
                source=data["source"],
                campaign=data["campaign"],
                filename=data["file"].name or "upload.csv",
                content=data["file"].read(),
                user=request.user,
            )
        except CsvFileError as exc:
            raise ValidationError({"file": [str(exc)]}) from None
        return Response(ContactImportSerializer(imp).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Start an import with a column mapping",
        description="Once per import: a started import answers 409.",
        request=ContactImportStartSerializer,
        responses={200: ContactImportSerializer},
    )
    @action(detail=True, methods=["post"], parser_classes=[JSONParser])
    def start(self, request: Request, pk: str | None = None) -> Response:
        imp = self.get_object()
        params = ContactImportStartSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        mapping = params.validated_data["mapping"]
        problems = _mapping_errors(imp, mapping)
        if problems:
            raise ValidationError({"mapping": problems})
        try:
            contact_import_start(
                contact_import=imp, mapping={k: v for k, v in mapping.items() if v}
            )
        except ImportStateError as exc:
            raise Conflict(str(exc)) from None
        return Response(ContactImportSerializer(imp).data)

    @extend_schema(
        summary="Rows of an import that need attention",
        description="Not imported (invalid, duplicate) or imported with a value dropped.",
        responses={200: ContactImportProblemSerializer(many=True)},
    )
    @action(detail=True, methods=["get"], filter_backends=[])
    def problems(self, request: Request, pk: str | None = None) -> Response:
        imp = self.get_object()
        rows = ContactImportProblem.objects.filter(contact_import=imp).order_by("row_number")
        page = self.paginate_queryset(rows)
        serializer = ContactImportProblemSerializer(page, many=True)
        return self.get_paginated_response(serializer.data)
