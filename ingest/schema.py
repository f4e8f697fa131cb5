"""The intake's routes in the OpenAPI schema (/api/schema/), with every answer it gives.

The intake is served by plain Django views: its wire format (the anchor's) must not change with
DRF's content negotiation, authentication or throttling. The APIView classes below are never
routed; they only carry the descriptions, and `intake_endpoints_add` (a drf-spectacular
preprocessing hook) lists them at the real routes. tests/test_schema_intake.py checks that every
documented intake path resolves to the intake's views and that the answers match the schema.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from campaigns.fields import STANDARD_FIELDS
from ingest import errors
from ingest.errors import ALL_REFUSALS, BATCH_REFUSALS

Endpoint = tuple[str, str, str, Callable[..., Any]]

PUBLIC_STATUSES = ["accepted", "rejected", "duplicate", "limited", "invalid", "error"]
CONTACT_REF = {"$ref": "#/components/schemas/IntakeContact"}


class IdNameSerializer(serializers.Serializer[None]):
    id = serializers.IntegerField()
    name = serializers.CharField()


class ContactRefSerializer(serializers.Serializer[None]):
    id = serializers.IntegerField(help_text="The stored contact's id.")


class IntakeTimeSerializer(serializers.Serializer[None]):
    completed = serializers.DateTimeField()
    duration = serializers.FloatField(help_text="Seconds spent on the request.")


class IntakeAnswerSerializer(serializers.Serializer[None]):
    """Every answer of the single-contact routes, whatever its HTTP status (keys sorted)."""

    campaign = IdNameSerializer(allow_null=True, help_text="Null until the token is checked.")
    contact = ContactRefSerializer(allow_null=True, help_text="Null unless a contact was stored.")
    errors = serializers.DictField(  # type: ignore[assignment]
        child=serializers.CharField(),
        allow_null=True,
        help_text="Field or error key to message; soft errors appear on success too.",
    )
    id = serializers.UUIDField(help_text="The request id: quote it to support.")
    source = IdNameSerializer(  # type: ignore[assignment]
        allow_null=True, help_text="Null until the token is checked."
    )
    status = serializers.ChoiceField(
        choices=PUBLIC_STATUSES, help_text="A scrubbed contact is shown as rejected."
    )
    statusCode = serializers.IntegerField(help_text="The HTTP status, repeated.")
    success = serializers.BooleanField(help_text="True only for an accepted contact.")
    time = IntakeTimeSerializer()
    test = serializers.BooleanField(required=False, help_text="Present (true) in test mode.")
    fields = serializers.DictField(  # type: ignore[assignment]
        required=False, help_text="Verbose mode: every stored key and its normalised value."
    )
    cost = serializers.CharField(
        required=False, allow_null=True, help_text="Verbose mode: the cost charged."
    )
    caps = serializers.ListField(
        child=serializers.DictField(), required=False, help_text="Verbose mode: caps state."
    )
    internalStatus = serializers.CharField(
        required=False, help_text="Verbose mode: the status before masking (e.g. scrubbed)."
    )


class BatchItemSerializer(serializers.Serializer[None]):
    """One item's result: the single answer's outcome keys, and the item's index."""

    contact = ContactRefSerializer(allow_null=True)
    errors = serializers.DictField(  # type: ignore[assignment]
        child=serializers.CharField(), allow_null=True
    )
    index = serializers.IntegerField(help_text="The item's position in `contacts` (from 0).")
    status = serializers.ChoiceField(choices=PUBLIC_STATUSES)
    statusCode = serializers.IntegerField(
        help_text="What a single post of this item would have answered (200, 409, 422, …)."
    )
    success = serializers.BooleanField()
    test = serializers.BooleanField(required=False)
    fields = serializers.DictField(required=False)  # type: ignore[assignment]
    cost = serializers.CharField(required=False, allow_null=True)
    caps = serializers.ListField(child=serializers.DictField(), required=False)
    internalStatus = serializers.CharField(required=False)


class BatchAnswerSerializer(serializers.Serializer[None]):
    campaign = IdNameSerializer()
    counts = serializers.DictField(
        child=serializers.IntegerField(), help_text="Items per status, e.g. {accepted: 998}."
    )
    errors = serializers.DictField(  # type: ignore[assignment]
        child=serializers.CharField(), allow_null=True
    )
    id = serializers.UUIDField(help_text="The batch's request id, shared by its items' events.")
    results = BatchItemSerializer(many=True, help_text="One result per item, in the items' order.")
    source = IdNameSerializer()  # type: ignore[assignment]
    statusCode = serializers.IntegerField()
    success = serializers.BooleanField(help_text="The batch was processed (see each item).")
    time = IntakeTimeSerializer()
    test = serializers.BooleanField(required=False)


def _codes(refusals: tuple[errors.IntakeRefusal, ...]) -> dict[int, list[errors.IntakeRefusal]]:
    by_code: dict[int, list[errors.IntakeRefusal]] = {}
    for refusal in refusals:
        by_code.setdefault(refusal.http_status, []).append(refusal)
    return by_code


def _describe(refusals: list[errors.IntakeRefusal]) -> str:
    lines = [f"- `{r.code}` ({r.status}): {r.message}" for r in refusals]
    return "\n".join(lines).replace("{{", "{").replace("}}", "}")


def _single_responses() -> dict[int, OpenApiResponse]:
    responses = {
        200: OpenApiResponse(
            IntakeAnswerSerializer,
            description="Accepted (`success: true`), or kept but not accepted: scrubbed or "
            "refused by a real-time buyer (`status: rejected`).",
        )
    }
    for code, refusals in sorted(_codes(ALL_REFUSALS).items()):
        responses[code] = OpenApiResponse(IntakeAnswerSerializer, description=_describe(refusals))
    return responses


def _batch_responses() -> dict[int, OpenApiResponse]:
    responses = {
        200: OpenApiResponse(
            BatchAnswerSerializer,
            description="The batch was processed: each item has its own result.",
        )
    }
    batch_level = [
        r
        for r in (*ALL_REFUSALS, *BATCH_REFUSALS)
        if r.code
        not in {"required_fields", "wrong_shape", "nothing_usable", "duplicate", "limited"}
        and r
        not in {
            errors.ITEM_NOT_OBJECT,
            # Per item, or single posts only (a batch ignores Idempotency-Key, has its own size
            # limit and takes JSON only).
            errors.TOO_MANY_FIELDS,
            errors.TOO_LARGE,
            errors.UNSUPPORTED_TYPE,
            errors.MALFORMED_MULTIPART,
            errors.METHOD_NOT_ALLOWED,
            errors.IDEMPOTENCY_KEY_TOO_LONG,
            errors.IDEMPOTENCY_KEY_REUSED,
        }
    ]
    for code, refusals in sorted(_codes(tuple(batch_level)).items()):
        responses[code] = OpenApiResponse(
            IntakeAnswerSerializer,
            description="Refused as a whole, nothing stored:\n" + _describe(refusals),
        )
    return responses


_HEADERS = [
    OpenApiParameter(
        "Idempotency-Key",
        str,
        OpenApiParameter.HEADER,
        description="A retry with the same key within 24 h returns the first answer unchanged "
        "(single posts only). A key is scoped to the source, campaign and test flag and bound to "
        "the first body's fields: the same key with another body answers 422. At most 255 "
        "characters (400 beyond, never cut).",
    ),
    OpenApiParameter(
        "X-Test",
        str,
        OpenApiParameter.HEADER,
        description="1: run the whole pipeline but store, charge and call back nothing.",
    ),
    OpenApiParameter(
        "verbose",
        str,
        OpenApiParameter.HEADER,
        description="The source's verbose key: adds fields, cost and caps to the answer.",
    ),
    OpenApiParameter(
        "Retry-After",
        int,
        OpenApiParameter.HEADER,
        response=[429, 503],
        description="Seconds to wait before trying again.",
    ),
    OpenApiParameter(
        "RateLimit-Policy",
        str,
        OpenApiParameter.HEADER,
        response=[200, 429],
        description="On a capped entry: the tightest quantity cap (IETF RateLimit fields).",
    ),
    OpenApiParameter(
        "RateLimit",
        str,
        OpenApiParameter.HEADER,
        response=[200, 429],
        description="On a capped entry: limit, remaining and seconds to reset.",
    ),
]
_PATH = [
    OpenApiParameter("source_id", int, OpenApiParameter.PATH, description="The source's id."),
    OpenApiParameter("campaign_id", int, OpenApiParameter.PATH, description="The campaign's id."),
]
_FORMATS = ("application/json", "application/x-www-form-urlencoded", "multipart/form-data")

_SINGLE = extend_schema(
    tags=["intake"],
    summary="Post a contact",
    description="Authenticated by the source's token. Checked in the anchor's order (body, "
    "token, source, whitelist, campaign, fields, duplicate, caps), then scrubbed, priced, "
    "stored and called back. Every request logs one intake event.",
    parameters=[*_PATH, *_HEADERS],
    request={media: CONTACT_REF for media in _FORMATS},
    responses=_single_responses(),
)


class ContactIntakeSchema(APIView):
    """Schema only (never routed): POST/PUT /source/<sid>/campaign/<cid>/contact."""

    authentication_classes = ()
    permission_classes = ()

    @_SINGLE
    def post(self, request: Request, source_id: int, campaign_id: int) -> Response:
        raise NotImplementedError  # served by ingest.views.contact_dispatch

    @_SINGLE
    def put(self, request: Request, source_id: int, campaign_id: int) -> Response:
        raise NotImplementedError  # served by ingest.views.contact_dispatch


class ContactIntakeAliasSchema(ContactIntakeSchema):
    """Schema only: the same routes without `/contact` (the anchor accepts both)."""


class BatchIntakeSchema(APIView):
    """Schema only (never routed): POST /source/<sid>/campaign/<cid>/contacts."""

    authentication_classes = ()
    permission_classes = ()

    @extend_schema(
        tags=["intake"],
        summary="Post a batch of contacts",
        description="Up to 1,000 contacts in one JSON request. The batch is checked once as a "
        "single post up to the campaign (same codes; one event, nothing stored when refused). "
        "Then each item runs through the single post's pipeline in order (duplicates and caps "
        "apply within the batch too) and gets its own result; one bad item never fails the "
        "others. Idempotency-Key is not used for batches.",
        parameters=[*_PATH, *_HEADERS[1:]],
        request={"application/json": {"$ref": "#/components/schemas/IntakeBatch"}},
        responses=_batch_responses(),
    )
    def post(self, request: Request, source_id: int, campaign_id: int) -> Response:
        raise NotImplementedError  # served by ingest.views.contacts_batch


_ROUTES: list[tuple[str, type[APIView], tuple[str, ...]]] = [
    ("/source/{source_id}/campaign/{campaign_id}/contact", ContactIntakeSchema, ("POST", "PUT")),
    ("/source/{source_id}/campaign/{campaign_id}", ContactIntakeAliasSchema, ("POST", "PUT")),
    ("/source/{source_id}/campaign/{campaign_id}/contacts", BatchIntakeSchema, ("POST",)),
]


_OPERATION_IDS = {
    (_ROUTES[0][0], "post"): "intake_contact_post",
    (_ROUTES[0][0], "put"): "intake_contact_put",
    (_ROUTES[1][0], "post"): "intake_contact_alias_post",
    (_ROUTES[1][0], "put"): "intake_contact_alias_put",
    (_ROUTES[2][0], "post"): "intake_batch_post",
}


def intake_paths() -> list[str]:
    return [path for path, _view, _methods in _ROUTES]


def intake_endpoints_add(endpoints: list[Endpoint]) -> list[Endpoint]:
    """drf-spectacular preprocessing hook: list the intake routes beside the API's."""
    added: list[Endpoint] = []
    for path, view, methods in _ROUTES:
        regex = "^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", path.lstrip("/")) + "$"
        callback = view.as_view()
        added.extend((path, regex, method, callback) for method in methods)
    return [*endpoints, *added]


def _contact_schema() -> dict[str, Any]:
    properties: dict[str, Any] = {
        key: {"type": "string", "description": spec.label, "example": spec.example}
        for key, spec in STANDARD_FIELDS.items()
    }
    properties["test"] = {"type": "string", "description": "1: test mode (see X-Test)."}
    return {
        "type": "object",
        "description": "A contact: the standard fields below and the campaign's own fields "
        "(custom keys). Values are trimmed and normalised; unknown keys are dropped with a "
        "soft error. See each source's documentation page for its campaigns' fields. The "
        "source's token may also be sent as a `token` field (it wins over the headers).",
        "properties": properties,
        "additionalProperties": True,
    }


def intake_components_add(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """drf-spectacular postprocessing hook: the intake's request bodies and its token scheme."""
    for path, _view, _methods in _ROUTES:
        for method, operation in result["paths"].get(path, {}).items():
            operation["security"] = [{"sourceToken": []}]
            operation["operationId"] = _OPERATION_IDS[path, method]
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas["IntakeContact"] = _contact_schema()
    schemas["IntakeBatch"] = {
        "type": "object",
        "description": "A batch of contacts; the source's token may also be a `token` key.",
        "required": ["contacts"],
        "properties": {
            "contacts": {
                "type": "array",
                "maxItems": 1000,
                "items": CONTACT_REF,
                "description": "At most settings.INTAKE_MAX_BATCH_ITEMS (1,000) contacts.",
            },
            "test": {"type": "string", "description": "1: test mode for every item."},
        },
    }
    return result
