"""Read an intake request: body (form, multipart, JSON), token, flags. No database access."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from io import BytesIO
from typing import Any

from django.conf import settings
from django.core.exceptions import SuspiciousOperation, TooManyFieldsSent, TooManyFilesSent
from django.http import HttpRequest, QueryDict
from django.http.multipartparser import MultiPartParser, MultiPartParserError

from contactsource.limits import MAX_JSON_DEPTH, MAX_KEY_LENGTH, json_depth
from ingest import errors
from ingest.errors import IntakeError, IntakeRefusal

FORM_TYPES = ("application/x-www-form-urlencoded",)
MULTIPART_TYPES = ("multipart/form-data",)
JSON_TYPES = ("application/json",)


def clean_text(value: str) -> str:
    """Make a string safe to store: no NUL (PostgreSQL refuses it), no lone surrogates."""
    if "\x00" in value:
        value = value.replace("\x00", "")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        value = value.encode("utf-8", "replace").decode("utf-8")
    return value.strip()


def _scalar(value: Any) -> str | None:
    """JSON scalars become strings; null and containers other than lists are not values."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | str):
        return clean_text(str(value))
    return None


def _clean_value(value: Any) -> str | list[str] | None:
    if isinstance(value, list):
        items = [s for s in (_scalar(v) for v in value) if s]
        return items or None
    text = _scalar(value)
    return text or None


def clean_fields(raw: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """Trim keys and values, lower-case keys, drop empty ones; report values that are not values."""
    cleaned: dict[str, Any] = {}
    problems: dict[str, str] = {}
    for raw_key, raw_value in raw.items():
        key = clean_text(str(raw_key)).lower()[:MAX_KEY_LENGTH]
        if not key:
            continue
        if isinstance(raw_value, dict) or (
            isinstance(raw_value, list) and any(isinstance(v, dict | list) for v in raw_value)
        ):
            problems[key] = "Nested objects are not supported; send a plain value. It was ignored."
            continue
        value = _clean_value(raw_value)
        if value is not None:
            cleaned[key] = value
    return cleaned, problems


def _querydict_to_dict(data: QueryDict) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in data:
        values = data.getlist(key)
        out[key] = values[0] if len(values) == 1 else values
    return out


def _declared_length(request: HttpRequest) -> int | None:
    """Content-Length, or None when the body's length is not declared (chunked)."""
    raw = request.META.get("CONTENT_LENGTH")
    if raw in (None, "") and request.META.get("HTTP_TRANSFER_ENCODING"):
        return None
    try:
        return int(raw or 0)
    except ValueError:
        return 0


def _too_large(limit: int, refusal: IntakeRefusal) -> IntakeError:
    return IntakeError(refusal, message=refusal.message.format(limit=limit))


def _read_unframed(request: HttpRequest, limit: int, too_large: IntakeRefusal) -> bytes:
    """A body sent without Content-Length (Transfer-Encoding: chunked).

    Django reads such a body as empty (its stream is limited to CONTENT_LENGTH, 0 here), so
    read the server's stream directly; but only when the server says the stream ends where the
    body ends (`wsgi.input_terminated`: gunicorn de-chunks and sets it). Any other server
    (Django's runserver passes the raw socket) gets a 411 rather than a hang or chunk framing.
    """
    stream = request.META.get("wsgi.input")
    if not request.META.get("wsgi.input_terminated") or stream is None:
        raise IntakeError(errors.LENGTH_REQUIRED)
    parts: list[bytes] = []
    size = 0
    while size <= limit:
        part = stream.read(min(64 * 1024, limit + 1 - size))
        if not part:
            break
        parts.append(part)
        size += len(part)
    if size > limit:
        raise _too_large(limit, too_large)
    return b"".join(parts)


def read_body(
    request: HttpRequest, limit: int, too_large: IntakeRefusal = errors.TOO_LARGE
) -> bytes:
    """The raw body, refusing anything over the limit before reading it when possible."""
    declared = _declared_length(request)
    if declared is None:
        return _read_unframed(request, limit, too_large)
    if declared > limit:
        raise _too_large(limit, too_large)
    body = request.read(limit + 1)
    if len(body) > limit:
        raise _too_large(limit, too_large)
    return body


def parse_json(body: bytes) -> Any:
    try:
        text = body.decode("utf-8-sig")
        return json.loads(text)
    except UnicodeDecodeError:
        detail = "the body is not valid UTF-8"
    except RecursionError:
        detail = "it is nested too deeply"
    except json.JSONDecodeError as exc:
        detail = f"{exc.msg} at line {exc.lineno} column {exc.colno}"
    except ValueError:
        # Python refuses integers of more than 4,300 digits (CVE-2020-10735) with a ValueError.
        detail = "a number in it is too long"
    raise IntakeError(
        errors.MALFORMED_JSON, message=errors.MALFORMED_JSON.message.format(detail=detail)
    )


def check_query(request: HttpRequest) -> None:
    """A query string Django can read (it refuses one of more parameters than the forms' limit)."""
    try:
        request.GET  # noqa: B018 (read for its check; Django keeps what it read)
    except TooManyFieldsSent:
        limit = settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
        message = errors.TOO_MANY_PARAMETERS.message.format(max_fields=limit)
        raise IntakeError(errors.TOO_MANY_PARAMETERS, message=message) from None


def _query_token(request: HttpRequest) -> Any:
    """The query string's `token`, or None when the query string cannot be read (its request
    is refused when its body is parsed, by `check_query`)."""
    try:
        return request.GET.get("token")
    except TooManyFieldsSent:
        return None


def _too_many_fields() -> IntakeError:
    limit = settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
    message = errors.TOO_MANY_FIELDS.message.format(max_fields=limit)
    return IntakeError(errors.TOO_MANY_FIELDS, message=message)


def check_field_count(data: Mapping[str, Any]) -> None:
    """A JSON object meets the forms' limit (DATA_UPLOAD_MAX_NUMBER_FIELDS): each key counts
    once, a list of values once per value, as `a=1&a=2` counts twice in a form."""
    limit = settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
    if limit is None:
        return
    count = 0
    for value in data.values():
        count += max(1, len(value)) if isinstance(value, list) else 1
        if count > limit:
            raise _too_many_fields()


def parse_payload(request: HttpRequest, limit: int) -> dict[str, Any]:
    """The body as a flat mapping of field names to values, whatever the content type."""
    check_query(request)
    body = read_body(request, limit)
    content_type = (request.content_type or "").lower()
    if not body.strip():
        return {}
    if content_type in JSON_TYPES or content_type.endswith("+json"):
        data = parse_json(body)
        if not isinstance(data, dict):
            raise IntakeError(errors.JSON_NOT_OBJECT)
        check_field_count(data)
        if json_depth(data, MAX_JSON_DEPTH) > MAX_JSON_DEPTH:
            raise IntakeError(
                errors.MALFORMED_JSON,
                message=errors.MALFORMED_JSON.message.format(detail="it is nested too deeply"),
            )
        return data
    if content_type in FORM_TYPES:
        encoding = request.encoding or "utf-8"
        try:
            body.decode(encoding)
        except (UnicodeDecodeError, LookupError):
            encoding = "latin-1"
        try:
            return _querydict_to_dict(QueryDict(body, encoding=encoding))
        except TooManyFieldsSent:
            raise _too_many_fields() from None
    if content_type in MULTIPART_TYPES:
        try:
            parser = MultiPartParser(
                request.META, BytesIO(body), request.upload_handlers, request.encoding or "utf-8"
            )
            data, _files = parser.parse()
        except (TooManyFieldsSent, TooManyFilesSent):
            raise _too_many_fields() from None
        except (MultiPartParserError, ValueError, UnicodeDecodeError, SuspiciousOperation):
            raise IntakeError(errors.MALFORMED_MULTIPART) from None
        return _querydict_to_dict(data)
    raise IntakeError(errors.UNSUPPORTED_TYPE)


def find_token(request: HttpRequest, fields: Mapping[str, Any]) -> str:
    """First found wins: field or query `token`, headers token, X-Auth-Token, Bearer, Basic."""
    candidates: list[Any] = [
        fields.get("token"),
        _query_token(request),
        request.headers.get("token"),
        request.headers.get("X-Auth-Token"),
    ]
    authorization = request.headers.get("Authorization", "")
    scheme, _, credentials = authorization.strip().partition(" ")
    if scheme.lower() == "bearer":
        candidates.append(credentials)
    elif scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(credentials.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError, ValueError):
            decoded = ""
        # The password part is the token; unlike the anchor, a password may contain colons.
        candidates.append(decoded.partition(":")[2])
    for candidate in candidates:
        if isinstance(candidate, list):
            candidate = candidate[-1] if candidate else ""
        if isinstance(candidate, str) and clean_text(candidate):
            return clean_text(candidate)
    return ""


def is_truthy(value: Any) -> bool:
    if isinstance(value, list):
        value = value[-1] if value else ""
    return isinstance(value, str) and value.strip().lower() in {"1", "true", "yes", "on"}


def parse_batch_payload(request: HttpRequest, limit: int) -> dict[str, Any]:
    """A batch body: a JSON object (its `contacts` list is checked by the batch service)."""
    check_query(request)
    body = read_body(request, limit, errors.BATCH_TOO_LARGE)
    if not body.strip():
        return {}
    content_type = (request.content_type or "").lower()
    if not (content_type in JSON_TYPES or content_type.endswith("+json")):
        raise IntakeError(errors.BATCH_NOT_JSON)
    data = parse_json(body)
    if not isinstance(data, dict):
        raise IntakeError(errors.JSON_NOT_OBJECT)
    # Two levels more than a single post: the body object and its list.
    if json_depth(data, MAX_JSON_DEPTH + 2) > MAX_JSON_DEPTH + 2:
        raise IntakeError(
            errors.MALFORMED_JSON,
            message=errors.MALFORMED_JSON.message.format(detail="it is nested too deeply"),
        )
    return data
