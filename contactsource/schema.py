"""Schema hooks for the management API: the error answers every operation can give.

drf-spectacular documents the success answer of each operation; DRF adds 400 (validation,
filters), 401/403 (auth, model permissions), 404 (unknown object or page), 409 (protected
delete), 415 and 429 (throttling) to any of them. Documenting them once here keeps generated
clients and schemathesis honest without repeating them on every view.
"""

from __future__ import annotations

from typing import Any

API_PREFIX = "/api/v1/"
METHODS = ("get", "post", "put", "patch", "delete")

DETAIL = {"$ref": "#/components/schemas/ErrorDetail"}
VALIDATION = {"$ref": "#/components/schemas/ValidationErrors"}


def _error(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors_for(method: str, operation: dict[str, Any]) -> dict[str, dict[str, Any]]:
    has_query = any(p.get("in") == "query" for p in operation.get("parameters", []))
    has_body = "requestBody" in operation
    found: dict[str, dict[str, Any]] = {
        "401": _error("Not authenticated: send `Authorization: Token …` or log in.", DETAIL),
        "403": _error("Authenticated, but without the model permission this needs.", DETAIL),
        "404": _error("No such object, or no such page.", DETAIL),
        "429": {
            **_error(
                "Too many requests for this user or endpoint API key (API_THROTTLE_USER, "
                "API_THROTTLE_ENDPOINT_KEY; per minute, shared by every server process): retry "
                "after `Retry-After`.",
                DETAIL,
            ),
            "headers": {
                "Retry-After": {
                    "description": "Seconds until the throttle's window ends.",
                    "schema": {"type": "integer"},
                }
            },
        },
    }
    if has_query or has_body:
        found["400"] = _error("Invalid input: messages per field.", VALIDATION)
    if has_body:
        found["415"] = _error("Unsupported media type.", DETAIL)
    if method == "delete":
        found["409"] = _error("Still referred to by other objects: deactivate instead.", DETAIL)
    return found


def error_responses_add(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """drf-spectacular postprocessing hook: add the DRF error answers to /api/v1/ operations."""
    for path, item in result.get("paths", {}).items():
        if not path.startswith(API_PREFIX):
            continue
        for method in METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            responses = operation.setdefault("responses", {})
            for code, response in _errors_for(method, operation).items():
                responses.setdefault(code, response)
            operation["responses"] = dict(sorted(responses.items()))
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas.setdefault(
        "ErrorDetail",
        {
            "type": "object",
            "properties": {"detail": {"type": "string"}},
            "required": ["detail"],
        },
    )
    schemas.setdefault(
        "ValidationErrors",
        {
            "type": "object",
            "description": "Field name (or non_field_errors / detail) to a list of messages.",
            "additionalProperties": {},
        },
    )
    return result
