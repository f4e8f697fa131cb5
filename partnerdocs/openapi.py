"""An OpenAPI 3.1 document for one source: its campaigns, their fields and the intake's answers."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.conf import settings

from campaigns.fields import FieldSpec
from campaigns.types import FieldType
from ingest import errors
from ingest.models import IntakeStatus
from partnerdocs.content import CampaignDoc, refusal_message
from sources.models import Source

_SCALAR_SCHEMAS: dict[str, dict[str, Any]] = {
    FieldType.TEXT: {"type": "string", "maxLength": 2000},
    FieldType.EMAIL: {"type": "string", "format": "email"},
    FieldType.TEL: {"type": "string"},
    # JSON numbers and booleans are accepted as well as their text forms.
    FieldType.NUMBER: {"type": ["number", "string"]},
    FieldType.BOOLEAN: {"type": ["boolean", "string"]},
    FieldType.DATE: {"type": "string"},
    FieldType.DATETIME: {"type": "string"},
    FieldType.URL: {"type": "string", "format": "uri"},
    FieldType.COUNTRY: {"type": "string"},
    FieldType.REGION: {"type": "string"},
    FieldType.ZIPCODE: {"type": "string"},
    FieldType.IP: {"type": "string"},
}
_PUBLIC_STATUSES = [
    s for s in IntakeStatus.values if s != IntakeStatus.SCRUBBED
]  # scrubbed is shown as rejected


def field_schema(spec: FieldSpec, example: str) -> dict[str, Any]:
    if spec.type == FieldType.SELECT:
        schema: dict[str, Any] = {"type": "string", "enum": list(spec.choices)}
    elif spec.type == FieldType.MULTISELECT:
        item = {"type": "string", "enum": list(spec.choices)}
        schema = {
            "anyOf": [
                {"type": "array", "items": item, "minItems": 1},
                {"type": "string", "description": "Allowed values separated by |."},
            ]
        }
    else:
        schema = dict(_SCALAR_SCHEMAS.get(spec.type, {"type": "string"}))
    schema["title"] = spec.label
    schema["x-field-type"] = spec.type
    if example:
        schema["examples"] = [example]
    return schema


def _contact_schema(doc: CampaignDoc) -> dict[str, Any]:
    examples = {row.key: row.example for row in [*doc.own_fields, *doc.other_fields]}
    properties = {key: field_schema(spec, examples.get(key, "")) for key, spec in doc.specs.items()}
    schema: dict[str, Any] = {
        "type": "object",
        "description": "Unknown keys are ignored with a soft error in `errors`.",
        "properties": properties,
        "additionalProperties": True,
        "examples": [doc.payload],
    }
    if doc.required:
        schema["required"] = doc.required
    return schema


def _nullable_ref(description: str) -> dict[str, Any]:
    return {
        "type": ["object", "null"],
        "description": description,
        "properties": {"id": {"type": "integer"}, "name": {"type": "string"}},
    }


def _response_schema() -> dict[str, Any]:
    return {
        "type": "object",
        "required": [
            "campaign",
            "contact",
            "errors",
            "id",
            "source",
            "status",
            "statusCode",
            "success",
            "time",
        ],
        "properties": {
            "campaign": _nullable_ref("Null until the token is valid."),
            "contact": {
                "type": ["object", "null"],
                "properties": {"id": {"type": "integer"}},
                "description": "The stored contact; null when nothing was stored (or test mode).",
            },
            "errors": {
                "type": ["object", "null"],
                "additionalProperties": {"type": "string"},
                "description": "Field or error key to message; soft errors appear on success too.",
            },
            "id": {"type": "string", "format": "uuid", "description": "Quote it to support."},
            "source": _nullable_ref("Null until the token is valid."),
            "status": {"type": "string", "enum": _PUBLIC_STATUSES},
            "statusCode": {"type": "integer"},
            "success": {"type": "boolean"},
            "test": {"type": "boolean", "description": "Present (true) in test mode."},
            "time": {
                "type": "object",
                "properties": {
                    "completed": {"type": "string", "format": "date-time"},
                    "duration": {"type": "number"},
                },
            },
        },
    }


def _batch_response_schema() -> dict[str, Any]:
    item = {
        "type": "object",
        "properties": {
            "index": {"type": "integer"},
            "contact": {"type": ["object", "null"], "properties": {"id": {"type": "integer"}}},
            "errors": {"type": ["object", "null"], "additionalProperties": {"type": "string"}},
            "status": {"type": "string", "enum": _PUBLIC_STATUSES},
            "statusCode": {"type": "integer"},
            "success": {"type": "boolean"},
        },
    }
    return {
        "type": "object",
        "description": "One result per item, in the items' order.",
        "properties": {
            "results": {"type": "array", "items": item},
            "counts": {"type": "object", "additionalProperties": {"type": "integer"}},
        },
    }


def _responses(ok: str) -> dict[str, Any]:
    by_status: dict[int, list[str]] = defaultdict(list)
    for refusal in errors.ALL_REFUSALS:
        by_status[refusal.http_status].append(refusal_message(refusal))
    responses: dict[str, Any] = {
        "200": {
            "description": "Accepted (success true) or rejected (success false).",
            "content": {"application/json": {"schema": {"$ref": ok}}},
        }
    }
    ref = "#/components/schemas/IntakeResponse"
    for status in sorted(by_status):
        responses[str(status)] = {
            "description": " | ".join(dict.fromkeys(by_status[status])),
            "content": {"application/json": {"schema": {"$ref": ref}}},
        }
    return responses


_HEADERS = [
    {
        "name": "X-Test",
        "in": "header",
        "required": False,
        "description": "1: run every check and answer as usual, but store and charge nothing.",
        "schema": {"type": "string", "enum": ["1", "0"]},
    },
]
_IDEMPOTENCY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": "A retry with the same key within 24 hours returns the first answer.",
    "schema": {"type": "string", "maxLength": 255},
}


def _operation(doc: CampaignDoc, verb: str) -> dict[str, Any]:
    body_ref = {"$ref": f"#/components/schemas/Contact{doc.id}"}
    return {
        "operationId": f"{verb}ContactCampaign{doc.id}",
        "summary": f"Send one contact to {doc.name}",
        "tags": [f"{doc.name} ({doc.id})"],
        "parameters": [*_HEADERS, _IDEMPOTENCY],
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": body_ref},
                "application/x-www-form-urlencoded": {"schema": body_ref},
                "multipart/form-data": {"schema": body_ref},
            },
        },
        "responses": _responses("#/components/schemas/IntakeResponse"),
    }


def _batch_operation(doc: CampaignDoc) -> dict[str, Any]:
    limit = settings.INTAKE_MAX_BATCH_ITEMS
    return {
        "operationId": f"postContactsCampaign{doc.id}",
        "summary": f"Send up to {limit} contacts to {doc.name} in one request",
        "tags": [f"{doc.name} ({doc.id})"],
        "parameters": list(_HEADERS),
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "required": ["contacts"],
                        "properties": {
                            "contacts": {
                                "type": "array",
                                "maxItems": limit,
                                "items": {"$ref": f"#/components/schemas/Contact{doc.id}"},
                            }
                        },
                    }
                }
            },
        },
        "responses": _responses("#/components/schemas/BatchResponse"),
    }


def _path(url: str) -> str:
    return url.removeprefix(settings.PUBLIC_BASE_URL)


def source_openapi(source: Source, docs: list[CampaignDoc], *, version: str) -> dict[str, Any]:
    """The document; `docs` are the source's documented campaigns (see docs_content)."""
    paths: dict[str, Any] = {}
    schemas: dict[str, Any] = {
        "IntakeResponse": _response_schema(),
        "BatchResponse": _batch_response_schema(),
    }
    for doc in docs:
        paths[_path(doc.url)] = {"post": _operation(doc, "post"), "put": _operation(doc, "put")}
        paths[_path(doc.batch_url)] = {"post": _batch_operation(doc)}
        schemas[f"Contact{doc.id}"] = _contact_schema(doc)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": f"Contact intake for source {source.pk} ({source.name})",
            "version": version,
            "description": source.public_description
            or "Send contacts (leads) to the campaigns this source may post into.",
        },
        "servers": [{"url": settings.PUBLIC_BASE_URL}],
        "security": [{"token": []}, {"bearer": []}],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "token": {"type": "apiKey", "in": "header", "name": "token"},
                "bearer": {"type": "http", "scheme": "bearer"},
            },
        },
    }
