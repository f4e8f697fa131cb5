"""Management API shapes for contacts and intake events (read-only)."""

from __future__ import annotations

from rest_framework import serializers

from ingest.models import Contact, IntakeEvent


class ContactSerializer(serializers.ModelSerializer[Contact]):
    class Meta:
        model = Contact
        fields = [
            "id",
            "source",
            "campaign",
            "status",
            "firstname",
            "lastname",
            "email",
            "phone",
            "mobile",
            "address1",
            "address2",
            "city",
            "state",
            "zipcode",
            "country",
            "external_id",
            "ip",
            "utm_source",
            "utm_medium",
            "utm_campaign",
            "utm_content",
            "utm_term",
            "user_agent",
            "url",
            "referer",
            "custom",
            "created_at",
        ]
        read_only_fields = fields


class IntakeEventSerializer(serializers.ModelSerializer[IntakeEvent]):
    class Meta:
        model = IntakeEvent
        fields = [
            "id",
            "request_id",
            "source",
            "campaign",
            "requested_source_id",
            "requested_campaign_id",
            "contact",
            "status",
            "http_status",
            "cost",
            "revenue",
            "errors",
            "fields_provided",
            "fields_stored",
            "duration",
            "client_ip",
            "is_test",
            "batch_index",
            "replay_of",
            "created_at",
        ]
        read_only_fields = fields
