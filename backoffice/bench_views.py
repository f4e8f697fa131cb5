"""The benchmark baseline: a bare DRF view that only inserts one row (docs/benchmarks.md).

Mounted at /bench/bare/<sid>/<cid> only when settings.BENCH_ENDPOINTS is true (`make bench`
sets it; it is off everywhere else). It shares the project's middleware, database settings and
server with the real intake, so the ratio between the two measures the pipeline, nothing else.
"""

from __future__ import annotations

from django.urls import path
from django.utils import timezone
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from ingest.models import Contact, ContactStatus


class BareInsertView(APIView):
    """POST a JSON contact: one INSERT, no checks, no token, no pipeline."""

    authentication_classes = ()
    permission_classes = (AllowAny,)
    throttle_classes = ()
    schema = None  # not part of the public API

    def post(self, request: Request, source_id: int, campaign_id: int) -> Response:
        data = request.data if isinstance(request.data, dict) else {}
        contact = Contact.objects.create(
            source_id=source_id,
            campaign_id=campaign_id,
            status=ContactStatus.ACCEPTED,
            email=str(data.get("email", ""))[:320],
            phone=str(data.get("phone", ""))[:32],
            firstname=str(data.get("firstname", ""))[:255],
            zipcode=str(data.get("zipcode", ""))[:16],
            created_at=timezone.now(),
        )
        return Response({"contact": {"id": contact.pk}, "success": True})


urlpatterns = [
    path("bench/bare/<int:source_id>/<int:campaign_id>", BareInsertView.as_view(), name="bare"),
]
