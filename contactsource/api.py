"""Shared pieces of the management REST API (/api/v1/): permissions, pagination, errors.

Every app's `apis.py` builds on these, so auth, paging and error bodies behave the same across
the API and the schema describes them once.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import django_filters
from django import forms
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import ProtectedError, RestrictedError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import defaults
from django_filters.fields import IsoDateTimeField
from rest_framework import status, viewsets
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import DjangoModelPermissions
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.views import APIView
from rest_framework.views import exception_handler as drf_exception_handler


class ModelPermissions(DjangoModelPermissions):
    """Django model permissions, reads included: GET needs `view_<model>`.

    DRF's class lets any authenticated user read; marketers and API users get exactly the
    permissions of their groups instead. A view may name the permissions of its custom actions
    in `action_permissions` (a POST that is not a create, such as rotating a token).
    """

    perms_map = {
        **DjangoModelPermissions.perms_map,
        "GET": ["%(app_label)s.view_%(model_name)s"],
        "HEAD": ["%(app_label)s.view_%(model_name)s"],
    }

    def has_permission(self, request: Request, view: APIView) -> bool:
        required: Sequence[str] | None = getattr(view, "action_permissions", {}).get(
            getattr(view, "action", None)
        )
        if required is None:
            return super().has_permission(request, view)
        user = request.user
        return bool(user and user.is_authenticated and user.has_perms(required))


class Pagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


class Conflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "This object is still in use and cannot be deleted."
    default_code = "conflict"


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler, plus model validation (400) and protected deletes (409) instead of 500s."""
    if isinstance(exc, DjangoValidationError):
        exc = ValidationError(as_serializer_error(exc))
    elif isinstance(exc, ProtectedError | RestrictedError):
        objects = (
            exc.protected_objects if isinstance(exc, ProtectedError) else exc.restricted_objects
        )
        names = ", ".join(sorted({str(obj._meta.verbose_name_plural) for obj in objects}))
        exc = Conflict(f"Still used by {names}; deactivate it instead of deleting it.")
    return drf_exception_handler(exc, context)


class ManagedViewSet(viewsets.ModelViewSet):
    """CRUD under the API's auth, model permissions and paging; writes go through services."""

    permission_classes = [ModelPermissions]
    pagination_class = Pagination


class ReadOnlyViewSet(viewsets.ReadOnlyModelViewSet):
    """List and retrieve, needing the model's view permission."""

    permission_classes = [ModelPermissions]
    pagination_class = Pagination


class IdFilter(django_filters.NumberFilter):
    """A related object's id, matched without loading it (an unknown id is an empty list)."""

    field_class = forms.IntegerField


class UtcIsoDateTimeField(IsoDateTimeField):
    """ISO 8601, converted to UTC: PostgreSQL refuses offsets past ±15:59 (a 500, not a 400)."""

    def to_python(self, value: Any) -> datetime | None:
        parsed: datetime | None = super().to_python(value)
        if parsed is None:
            return None
        try:
            return parsed.astimezone(UTC)
        except OverflowError:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None


class UtcIsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = UtcIsoDateTimeField


class CreatedRangeFilterSet(django_filters.FilterSet):
    """Every list filters on its creation time: `created_after` <= created_at < `created_before`."""

    created_after = UtcIsoDateTimeFilter(
        field_name="created_at", lookup_expr="gte", help_text="Created at or after (ISO 8601)."
    )
    created_before = UtcIsoDateTimeFilter(
        field_name="created_at", lookup_expr="lt", help_text="Created before (ISO 8601)."
    )


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """handler404: API clients get JSON ({"detail": …}) for a URL no route matches, too."""
    if _is_api(request):
        return JsonResponse({"detail": "Not found."}, status=404)
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: JSON for the API (no trace either way); the HTML page elsewhere."""
    if _is_api(request):
        return JsonResponse({"detail": "Server error."}, status=500)
    return defaults.server_error(request)
