"""Management API over what the intake produced: contacts and intake events.

All read-only: contacts and events are written by the intake alone (and by imports).
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_view

from contactsource.api import ReadOnlyViewSet
from ingest.filters import ContactFilterSet, IntakeEventFilterSet
from ingest.models import Contact, IntakeEvent
from ingest.serializers import ContactSerializer, IntakeEventSerializer


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
