"""An OpenAPI 3.1 document for one source: its campaigns, their fields and the intake's answers."""

from __future__ import annotations

import re
from collections import defaultdict
from typing import Any

from django.conf import settings

from campaigns.fields import FieldSpec
from campaigns.types import FieldType
from contactsource.limits import MAX_LONG_TEXT
from ingest import errors
from ingest.models import IntakeStatus
from ingest.normalize import FALSE_WORDS, LONG_TEXT_KEYS, MAX_TEXT, TRUE_WORDS
from partnerdocs.content import CampaignDoc, refusal_message
from partnerdocs.examples import json_value
from sources.models import Source

# A value the intake keeps: at least one character once trimmed (it trims whitespace and drops
# NUL bytes, and an empty value counts as not sent). The class names every character Python's
# str.strip() trims (str.isspace) rather than writing `\s`: a JSON Schema pattern is an
# ECMA-262 regex, whose `\s` leaves out U+001C-U+001F and U+0085 (which the intake trims) and
# takes in U+FEFF (which it keeps), so a value of only U+0085 was valid by the document and
# refused as blank by the intake (Schemathesis found it).
_NOT_BLANK = r"[^\x00\x09-\x0d\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
_NUMBER_TEXT = r"^-?[0-9]{1,15}(\.[0-9]{1,15})?$"
# A JSON number the intake keeps exactly (it refuses numbers written with over 40 characters).
_NUMBER_BOUND = 10**15
_SCALAR_SCHEMAS: dict[str, dict[str, Any]] = {
    FieldType.EMAIL: {"type": "string", "format": "email", "maxLength": 254},
    FieldType.TEL: {"type": "string", "pattern": _NOT_BLANK, "maxLength": MAX_TEXT},
    FieldType.DATE: {"type": "string", "pattern": _NOT_BLANK},
    FieldType.DATETIME: {"type": "string", "pattern": _NOT_BLANK},
    FieldType.URL: {"type": "string", "format": "uri", "maxLength": MAX_LONG_TEXT},
    FieldType.COUNTRY: {"type": "string", "pattern": _NOT_BLANK},
    FieldType.REGION: {"type": "string", "pattern": _NOT_BLANK},
    FieldType.ZIPCODE: {"type": "string", "pattern": _NOT_BLANK},
    FieldType.IP: {"type": "string", "pattern": _NOT_BLANK},
}
# What the normalisers say, for the descriptions (the intake's own rules, not a paraphrase).
_TYPE_NOTES: dict[str, str] = {
    FieldType.TEL: "E.164 (+17272870426) or a national number of the campaign's phone region; "
    "checked valid by libphonenumber (length and prefixes of a real numbering plan, not whether "
    "it is in service) and stored as E.164.",
    FieldType.NUMBER: "A JSON number, or its text form in a form post.",
    FieldType.BOOLEAN: "true/false, 1/0, yes/no, on/off (any case).",
}


_PUBLIC_STATUSES = [
    s for s in IntakeStatus.values if s != IntakeStatus.SCRUBBED
]  # scrubbed is shown as rejected


def caseless(word: str) -> str:
    """A regex that matches `word` in any letter case (JSON Schema regexes have no flags)."""
    parts = []
    for char in word:
        if char.lower() != char.upper():
            parts.append(f"[{re.escape(char.lower())}{re.escape(char.upper())}]")
        else:
            parts.append(re.escape(char))
    return "".join(parts)


def choice_schema(choices: tuple[str, ...]) -> dict[str, Any]:
    """The allowed values as written, or any other letter case of them (the intake matches
    choices case-insensitively and stores them as written here)."""
    if not choices:
        return {"type": "string", "enum": []}
    either = "|".join(caseless(choice) for choice in choices)
    return {
        "anyOf": [
            {"type": "string", "enum": list(choices)},
            {"type": "string", "pattern": f"^(?:{either})$"},
        ],
        "x-case-insensitive": True,
    }


def _text_schema(spec: FieldSpec) -> dict[str, Any]:
    limit = MAX_LONG_TEXT if spec.key in LONG_TEXT_KEYS else MAX_TEXT
    return {"type": "string", "maxLength": limit, "pattern": _NOT_BLANK}


def _number_schema() -> dict[str, Any]:
    return {
        "anyOf": [
            {"type": "number", "minimum": -_NUMBER_BOUND, "maximum": _NUMBER_BOUND},
            {"type": "string", "pattern": _NUMBER_TEXT},
        ]
    }


def _boolean_schema() -> dict[str, Any]:
    words = "|".join(caseless(w) for w in sorted(TRUE_WORDS | FALSE_WORDS))
    return {"anyOf": [{"type": "boolean"}, {"type": "string", "pattern": f"^(?:{words})$"}]}


def field_schema(spec: FieldSpec, example: Any) -> dict[str, Any]:
    if spec.type == FieldType.SELECT:
        schema = choice_schema(spec.choices)
    elif spec.type == FieldType.MULTISELECT:
        schema = {
            "anyOf": [
                {"type": "array", "items": choice_schema(spec.choices), "minItems": 1},
                {"type": "string", "description": "Allowed values separated by |."},
            ]
        }
    elif spec.type == FieldType.TEXT:
        schema = _text_schema(spec)
    elif spec.type == FieldType.NUMBER:
        schema = _number_schema()
    elif spec.type == FieldType.BOOLEAN:
        schema = _boolean_schema()
    else:
        schema = dict(_SCALAR_SCHEMAS.get(spec.type, {"type": "string"}))
    schema["title"] = spec.label
    schema["x-field-type"] = spec.type
    if note := _TYPE_NOTES.get(spec.type):
        schema["description"] = note
    if spec.type in (FieldType.SELECT, FieldType.MULTISELECT):
        schema["description"] = "One of: " + ", ".join(spec.choices) + " (any letter case)."
    if example not in ("", None):
        schema["examples"] = [example]
    return schema


def _contact_schema(doc: CampaignDoc) -> dict[str, Any]:
    examples = {
        row.key: json_value(doc.specs[row.key], row.example)
        for row in [*doc.own_fields, *doc.other_fields]
    }
    properties = {key: field_schema(spec, examples.get(key, "")) for key, spec in doc.specs.items()}
    region = doc.campaign.phone_region if doc.campaign else ""
    for prop in properties.values():
        if prop["x-field-type"] == FieldType.TEL:
            prop["description"] = f"Phone region {region}. {prop['description']}"
            prop["x-phone-region"] = region
    schema: dict[str, Any] = {
        "type": "object",
        "description": "Keys and values are trimmed and keys lower-cased; empty values count as "
        "not sent. Unknown keys are ignored with a soft error in `errors`. An invalid optional "
        "value is dropped with a soft error; an invalid or missing required one answers 422.",
        "properties": properties,
        "additionalProperties": True,
        "examples": [doc.json_payload],
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


def _responses(ok: str, refusals: tuple[errors.IntakeRefusal, ...]) -> dict[str, Any]:
    by_status: dict[int, list[str]] = defaultdict(list)
    for refusal in refusals:
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
        "responses": _responses("#/components/schemas/IntakeResponse", errors.ALL_REFUSALS),
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
                                "minItems": 1,
                                "maxItems": limit,
                                "items": {"$ref": f"#/components/schemas/Contact{doc.id}"},
                            }
                        },
                    }
                }
            },
        },
        "responses": _responses(
            "#/components/schemas/BatchResponse", (*errors.ALL_REFUSALS, *errors.BATCH_REFUSALS)
        ),
    }


_FIRST_FOUND = (
    "Send the token one way. If several are sent, the first found wins, in this order: a "
    "`token` field in the body, the `token` query parameter, the `token` header, X-Auth-Token, "
    "Authorization: Bearer, Authorization: Basic (the password part)."
)
# Every way the intake reads a token (ingest.parsing.find_token), in its order. A body field is
# not a security scheme in OpenAPI: the `token` query scheme's description names it.
SECURITY_SCHEMES: dict[str, dict[str, Any]] = {
    "tokenQuery": {
        "type": "apiKey",
        "in": "query",
        "name": "token",
        "description": f"The token as a query parameter, or as a `token` field in the body. "
        f"{_FIRST_FOUND}",
    },
    "tokenHeader": {
        "type": "apiKey",
        "in": "header",
        "name": "token",
        "description": f"Recommended. {_FIRST_FOUND}",
    },
    "authToken": {"type": "apiKey", "in": "header", "name": "X-Auth-Token"},
    "bearer": {"type": "http", "scheme": "bearer", "description": "Authorization: Bearer <token>."},
    "basic": {
        "type": "http",
        "scheme": "basic",
        "description": "Authorization: Basic; any user name, the token as the password.",
    },
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
        "security": [{name: []} for name in SECURITY_SCHEMES],
        "paths": paths,
        "components": {"schemas": schemas, "securitySchemes": SECURITY_SCHEMES},
    }
