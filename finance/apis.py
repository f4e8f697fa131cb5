"""Management API for caps and budgets (/api/v1/caps/) and the ledger (/api/v1/ledger-entries/).

Caps are saved through finance.services.cap_save, which starts a new or changed cap from what
the ledger says its current window already holds. The ledger is append-only: read here only.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer

from contactsource.api import ManagedViewSet, ReadOnlyViewSet
from finance.filters import CapFilterSet, LedgerEntryFilterSet
from finance.models import Cap, LedgerEntry
from finance.selectors import caps_usage, ledger_totals
from finance.serializers import (
    CapSerializer,
    CapUsageSerializer,
    LedgerEntrySerializer,
    LedgerTotalsQuerySerializer,
    LedgerTotalsSerializer,
)
from finance.services import cap_delete, cap_save


@extend_schema_view(
    list=extend_schema(summary="List caps and budgets"),
    retrieve=extend_schema(summary="Get a cap"),
    create=extend_schema(
        summary="Create a cap or budget",
        description="On a whitelist entry (campaign and source) or on a campaign (no source: "
        "all sources together). A quantity of accepted contacts, or a budget (sum of cost), "
        "per rolling (PT1H, P1D, P7D) or calendar (day, week, month, year) window.",
    ),
    update=extend_schema(summary="Replace a cap"),
    partial_update=extend_schema(summary="Update a cap"),
    destroy=extend_schema(summary="Delete a cap"),
)
class CapViewSet(ManagedViewSet):
    queryset = Cap.objects.all()
    serializer_class = CapSerializer
    filterset_class = CapFilterSet
    ordering_fields = ["id", "campaign", "source", "created_at"]

    def perform_create(self, serializer: BaseSerializer[Any]) -> None:
        serializer.instance = cap_save(cap=Cap(**serializer.validated_data))

    def perform_update(self, serializer: BaseSerializer[Any]) -> None:
        cap: Cap = serializer.instance  # type: ignore[assignment]
        for name, value in serializer.validated_data.items():
            setattr(cap, name, value)
        serializer.instance = cap_save(cap=cap)

    def perform_destroy(self, instance: Cap) -> None:
        cap_delete(cap=instance)

    @extend_schema(
        summary="Caps in use",
        description="Every active cap's current window: used, remaining, pace and when it will "
        "be reached (the caps and budgets dashboard).",
        parameters=[
            OpenApiParameter("campaign", int, description="Only this campaign's caps."),
            OpenApiParameter("source", int, description="Only this source's caps."),
        ],
        responses={200: CapUsageSerializer(many=True)},
    )
    @action(detail=False, methods=["get"], filter_backends=[], pagination_class=None)
    def usage(self, request: Request) -> Response:
        ids = {}
        for name in ("campaign", "source"):
            value = request.query_params.get(name)
            if value is not None:
                if not value.isdigit() or len(value) > 18:
                    raise ValidationError({name: "A positive whole number is required."})
                ids[f"{name}_id"] = int(value)
        rows = caps_usage(at=timezone.now(), **ids)
        return Response(CapUsageSerializer(rows, many=True).data)


@extend_schema_view(
    list=extend_schema(
        summary="List ledger entries",
        description="Append-only money rows: cost (paid to the source) and revenue (from the "
        "campaign) per accepted contact, and reversals.",
    ),
    retrieve=extend_schema(summary="Get a ledger entry"),
)
class LedgerEntryViewSet(ReadOnlyViewSet):
    queryset = LedgerEntry.objects.all()
    serializer_class = LedgerEntrySerializer
    filterset_class = LedgerEntryFilterSet
    ordering_fields = ["id", "created_at", "amount"]

    @extend_schema(
        summary="Cost, revenue and margin totals",
        description="Per source, campaign or day, net of reversals (one GROUP BY query).",
        parameters=[LedgerTotalsQuerySerializer],
        responses={200: LedgerTotalsSerializer(many=True)},
    )
    @action(detail=False, methods=["get"], filter_backends=[], pagination_class=None)
    def totals(self, request: Request) -> Response:
        params = LedgerTotalsQuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        tz = data.get("tz") or "UTC"
        try:
            ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValidationError({"tz": f"'{tz}' is not an IANA timezone."}) from None
        rows = ledger_totals(
            group_by=data["group_by"],
            since=data.get("created_after"),
            until=data.get("created_before"),
            source_id=data.get("source"),
            campaign_id=data.get("campaign"),
            timezone=tz,
        )
        return Response(LedgerTotalsSerializer(rows, many=True).data)
