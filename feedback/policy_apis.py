"""Campaigns' return settings and source quality in the REST API (marketers)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.http import Http404, HttpResponseBase
from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from campaigns.models import Campaign
from contactsource.csvexport import stream_csv
from feedback.quality import QUALITY_CSV_HEADER, QualityRow, quality_csv_row, source_quality
from feedback.selectors import return_policy_of
from feedback.serializers import QualityRowSerializer, ReturnPolicySerializer
from feedback.services import return_policy_save

TAG = ["feedback"]


class UserPermission(BasePermission):
    """Reads need the view's `read_permission`, writes its `write_permission` (a read-only view
    names none: every write is refused before the method is looked up)."""

    def has_permission(self, request: Request, view: Any) -> bool:
        reading = request.method in ("GET", "HEAD", "OPTIONS")
        perm = getattr(view, "read_permission" if reading else "write_permission", "")
        user = request.user
        return bool(perm and user and user.is_authenticated and user.has_perm(perm))


class ReturnPolicyApi(APIView):
    permission_classes = [UserPermission]
    read_permission = "campaigns.view_campaign"
    write_permission = "campaigns.change_campaign"

    def _campaign_id(self, campaign_id: int) -> int:
        if not Campaign.objects.filter(pk=campaign_id).exists():
            raise Http404("No campaign with this id.")
        return campaign_id

    @extend_schema(
        tags=TAG,
        summary="Get a campaign's return settings",
        responses={200: ReturnPolicySerializer},
        description="The return window (ISO 8601 duration from acceptance, empty: no returns), "
        "the allowed reasons and the review policy; a campaign never edited has the defaults.",
    )
    def get(self, request: Request, campaign_id: int) -> Response:
        policy = return_policy_of(campaign_id=self._campaign_id(campaign_id))
        return Response(ReturnPolicySerializer(policy).data)

    def _save(self, request: Request, campaign_id: int, *, partial: bool) -> Response:
        policy = return_policy_of(campaign_id=self._campaign_id(campaign_id))
        serializer = ReturnPolicySerializer(policy, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        policy = return_policy_save(campaign_id=campaign_id, **serializer.validated_data)
        return Response(ReturnPolicySerializer(policy).data)

    @extend_schema(
        tags=TAG,
        summary="Replace a campaign's return settings",
        request=ReturnPolicySerializer,
        responses={200: ReturnPolicySerializer, 400: OpenApiResponse(description="Field errors.")},
    )
    def put(self, request: Request, campaign_id: int) -> Response:
        return self._save(request, campaign_id, partial=False)

    @extend_schema(
        tags=TAG,
        summary="Change a campaign's return settings",
        request=ReturnPolicySerializer,
        responses={200: ReturnPolicySerializer, 400: OpenApiResponse(description="Field errors.")},
    )
    def patch(self, request: Request, campaign_id: int) -> Response:
        return self._save(request, campaign_id, partial=True)


class QualityQuerySerializer(serializers.Serializer[Any]):
    created_after = serializers.DateTimeField(
        required=False, help_text="Contacts accepted at or after (default: 30 days ago)."
    )
    created_before = serializers.DateTimeField(
        required=False, help_text="Contacts accepted before (default: now)."
    )
    by = serializers.ChoiceField(
        choices=["source", "source_campaign"], default="source", help_text="Rows per …"
    )
    source = serializers.IntegerField(required=False, min_value=1)  # type: ignore[assignment]
    campaign = serializers.IntegerField(required=False, min_value=1)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        end: datetime = attrs.get("created_before") or timezone.now()
        start: datetime = attrs.get("created_after") or end - timedelta(days=30)
        if start >= end:
            raise serializers.ValidationError(
                {"created_after": "Must be before created_before (default: now)."}
            )
        return {**attrs, "created_after": start, "created_before": end}


def _quality_rows(request: Request) -> list[QualityRow]:
    query = QualityQuerySerializer(data=request.query_params)
    query.is_valid(raise_exception=True)
    values = query.validated_data
    return source_quality(
        start=values["created_after"],
        end=values["created_before"],
        by_campaign=values["by"] == "source_campaign",
        source_id=values.get("source"),
        campaign_id=values.get("campaign"),
    )


class SourceQualityApi(APIView):
    permission_classes = [UserPermission]
    read_permission = "feedback.view_contactreturn"

    @extend_schema(
        tags=TAG,
        summary="Source quality",
        parameters=[QualityQuerySerializer],
        responses={
            200: QualityRowSerializer(many=True),
            400: OpenApiResponse(description="Bad query."),
        },
        description="Per source (or source + campaign) for the contacts accepted in the range: "
        "approved returns, return rate, returns by reason, conversions and conversion rate.",
    )
    def get(self, request: Request) -> Response:
        return Response(QualityRowSerializer(_quality_rows(request), many=True).data)


class SourceQualityExportApi(APIView):
    permission_classes = [UserPermission]
    read_permission = "feedback.view_contactreturn"

    @extend_schema(
        tags=TAG,
        summary="Source quality as CSV",
        parameters=[QualityQuerySerializer],
        responses={
            (200, "text/csv"): OpenApiResponse(str, description="One line per row."),
            400: OpenApiResponse(description="Bad query."),
        },
    )
    def get(self, request: Request) -> HttpResponseBase:
        rows = _quality_rows(request)
        return stream_csv(
            "source-quality.csv", QUALITY_CSV_HEADER, (quality_csv_row(r) for r in rows)
        )
