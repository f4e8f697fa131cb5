"""The stats API: intake aggregates grouped in SQL (read-only)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from contactsource.api import ModelPermissions
from ingest.models import IntakeEvent
from reports.selectors.api_stats import StatsQuery, intake_stats, intake_stats_totals
from reports.serializers import StatsQuerySerializer, StatsSerializer

DEFAULT_STATS_RANGE = timedelta(days=30)


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
