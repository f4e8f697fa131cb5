"""Copy-paste examples for the docs page: a valid example contact and the code that posts it.

The example values go through the intake's own normalisers, so an example the page shows is one
the intake accepts (a marketer's bad example falls back to the type's default).
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from campaigns.fields import FieldSpec
from campaigns.types import FieldType
from ingest.normalize import (
    FALSE_WORDS,
    NORMALIZERS,
    TRUE_WORDS,
    FieldValueError,
    NormalizeContext,
)

TYPE_EXAMPLES: dict[str, str] = {
    FieldType.TEXT: "example",
    FieldType.EMAIL: "greg.scott@example.com",
    FieldType.TEL: "+17272870426",
    FieldType.NUMBER: "42",
    FieldType.BOOLEAN: "yes",
    FieldType.DATE: "2010-03-15",
    FieldType.DATETIME: "2010-03-15T12:15:32Z",
    FieldType.URL: "https://example.com/page",
    FieldType.COUNTRY: "US",
    FieldType.REGION: "FL",
    FieldType.ZIPCODE: "33602",
    FieldType.IP: "203.0.113.7",
}
# A contact needs a person: these standard fields join the example when the campaign has none.
BASE_EXAMPLE_KEYS = ("firstname", "lastname", "email")


def _accepted(spec: FieldSpec, value: str, ctx: NormalizeContext) -> bool:
    try:
        NORMALIZERS[spec.type](spec, value, ctx)
    except (FieldValueError, ValueError, KeyError, LookupError):
        return False
    return True


def example_value(spec: FieldSpec, ctx: NormalizeContext) -> str | None:
    """A value of this field the intake accepts; None when no candidate passes."""
    candidates = [
        spec.example,
        spec.choices[0] if spec.choices else "",
        TYPE_EXAMPLES.get(spec.type),
    ]
    for candidate in candidates:
        if candidate and _accepted(spec, candidate, ctx):
            return candidate
    return None


def example_payload(
    own_keys: list[str], specs: Mapping[str, FieldSpec], ctx: NormalizeContext
) -> dict[str, str]:
    """The campaign's own fields and every required one, plus a name and an email."""
    keys = list(dict.fromkeys([*BASE_EXAMPLE_KEYS, *own_keys]))
    keys += [key for key, spec in specs.items() if spec.required and key not in keys]
    payload: dict[str, str] = {}
    for key in keys:
        value = example_value(specs[key], ctx)
        if value is not None:
            payload[key] = value
    return payload


def json_value(spec: FieldSpec, value: str) -> Any:
    """An example value as JSON sends it: numbers as numbers, booleans as booleans."""
    if spec.type == FieldType.NUMBER:
        try:
            number = Decimal(value)
        except InvalidOperation:
            return value
        return int(number) if number == number.to_integral_value() else float(number)
    if spec.type == FieldType.BOOLEAN and value.lower() in TRUE_WORDS | FALSE_WORDS:
        return value.lower() in TRUE_WORDS
    return value


def json_payload(payload: Mapping[str, str], specs: Mapping[str, FieldSpec]) -> dict[str, Any]:
    return {key: json_value(specs[key], value) for key, value in payload.items()}


@dataclass(frozen=True)
class CodeExample:
    key: str
    title: str
    code: str


def curl_json(url: str, token: str, payload: Mapping[str, Any]) -> str:
    return " \\\n  ".join(
        [
            f"curl -sS -X POST {shlex.quote(url)}",
            f"-H {shlex.quote('token: ' + token)}",
            "-H 'Content-Type: application/json'",
            # Pretty JSON inside single quotes: newlines are fine in the shell, and readable.
            f"--data {shlex.quote(json.dumps(payload, indent=2, ensure_ascii=False))}",
        ]
    )


def curl_batch(url: str, token: str, payloads: list[Mapping[str, Any]]) -> str:
    return " \\\n  ".join(
        [
            f"curl -sS -X POST {shlex.quote(url)}",
            f"-H {shlex.quote('token: ' + token)}",
            "-H 'Content-Type: application/json'",
            f"--data {shlex.quote(json.dumps({'contacts': payloads}))}",
        ]
    )


def curl_form(url: str, token: str, payload: Mapping[str, Any]) -> str:
    return " \\\n  ".join(
        [
            f"curl -sS -X POST {shlex.quote(url)}",
            f"-H {shlex.quote('token: ' + token)}",
            *(f"--data-urlencode {shlex.quote(f'{k}={v}')}" for k, v in payload.items()),
        ]
    )


def python_requests(url: str, token: str, payload: Mapping[str, Any]) -> str:
    body = json.dumps(payload, indent=4).replace("\n", "\n    ")
    return "\n".join(
        [
            "import requests",
            "",
            "response = requests.post(",
            f"    {json.dumps(url)},",
            f"    headers={{'token': {json.dumps(token)}}},",
            f"    json={body},",
            "    timeout=30,",
            ")",
            "result = response.json()",
            'print(response.status_code, result["status"], result["errors"])',
        ]
    )


def _php(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _php_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return _php(str(value))


def php_curl(url: str, token: str, payload: Mapping[str, Any]) -> str:
    fields = "\n".join(f"    {_php(k)} => {_php_value(v)}," for k, v in payload.items())
    return "\n".join(
        [
            "<?php",
            "$fields = [",
            fields,
            "];",
            f"$ch = curl_init({_php(url)});",
            "curl_setopt_array($ch, [",
            "    CURLOPT_POST => true,",
            "    CURLOPT_RETURNTRANSFER => true,",
            "    CURLOPT_TIMEOUT => 30,",
            f"    CURLOPT_HTTPHEADER => [{_php('token: ' + token)}, "
            "'Content-Type: application/json'],",
            "    CURLOPT_POSTFIELDS => json_encode($fields),",
            "]);",
            "$result = json_decode(curl_exec($ch), true);",
            "$status = curl_getinfo($ch, CURLINFO_RESPONSE_CODE);",
            "curl_close($ch);",
            "echo $status, ' ', $result['status'], PHP_EOL;",
        ]
    )


def javascript_fetch(url: str, token: str, payload: Mapping[str, Any]) -> str:
    body = json.dumps(payload, indent=2).replace("\n", "\n  ")
    return "\n".join(
        [
            "// Node.js 18+ (or any server-side runtime with fetch). Keep the token off web pages.",
            f"const response = await fetch({json.dumps(url)}, {{",
            '  method: "POST",',
            f'  headers: {{ "token": {json.dumps(token)}, "Content-Type": "application/json" }},',
            f"  body: JSON.stringify({body}),",
            "});",
            "const result = await response.json();",
            "console.log(response.status, result.status, result.errors);",
        ]
    )


def code_examples(
    url: str, token: str, payload: Mapping[str, Any], typed: Mapping[str, Any] | None = None
) -> list[CodeExample]:
    """`payload` as a form sends it (text); `typed` as JSON sends it (numbers as numbers)."""
    body = payload if typed is None else typed
    return [
        CodeExample("curl-json", "curl (JSON)", curl_json(url, token, body)),
        CodeExample("curl-form", "curl (form)", curl_form(url, token, payload)),
        CodeExample("python", "Python (requests)", python_requests(url, token, body)),
        CodeExample("php", "PHP (cURL)", php_curl(url, token, body)),
        CodeExample("javascript", "JavaScript (fetch)", javascript_fetch(url, token, body)),
    ]
