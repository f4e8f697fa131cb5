"""The CSV imports API: upload, map the columns, start, watch (docs/admin.md)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.viewsets import GenericViewSet

from campaigns.fields import field_specs_for
from contactsource.api import Conflict, ModelPermissions, Pagination
from imports.csvfile import CsvFileError
from imports.filters import ContactImportFilterSet
from imports.mapping import mapping_problems
from imports.models import ContactImport, ContactImportProblem
from imports.serializers import (
    ContactImportCreateSerializer,
    ContactImportProblemSerializer,
    ContactImportSerializer,
    ContactImportStartSerializer,
)
from imports.services import ImportStateError, contact_import_create, contact_import_start


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
    action_permissions = {"start": ("imports.add_contactimport",)}

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
