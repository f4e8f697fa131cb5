"""Bounds on posted JSON shared by the intake and the person API, so both refuse alike.

PostgreSQL refuses NUL in text and jsonb and strings that are not valid UTF-8 (lone
surrogates), with an error instead of a 400: `text_problem` finds them before a write.
"""

from __future__ import annotations

import json
from typing import Any

# Levels of nesting in a posted JSON body (the body object is level 1).
MAX_JSON_DEPTH = 20
# A field name's length: the intake cuts longer keys, the person API refuses them.
MAX_KEY_LENGTH = 100
# A long text value (comments, notes; a custom field's string).
MAX_LONG_TEXT = 2000
# A person's custom_fields: keys at the top level and the whole object as compact JSON.
MAX_CUSTOM_FIELDS = 100
MAX_CUSTOM_FIELDS_BYTES = 64 * 1024


def json_depth(value: Any, limit: int) -> int:
    """How deep `value` nests (a scalar is 1), counting no further than one past `limit`."""
    stack = [(value, 1)]
    deepest = 0
    while stack:
        node, level = stack.pop()
        deepest = max(deepest, level)
        if deepest > limit:
            return deepest
        if isinstance(node, dict):
            stack.extend((v, level + 1) for v in node.values())
        elif isinstance(node, list):
            stack.extend((v, level + 1) for v in node)
    return deepest


def text_problem(value: str) -> str | None:
    """Why a string cannot be stored as it is, or None."""
    if "\x00" in value:
        return "contains a NUL byte (\\u0000)"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "is not valid UTF-8 (a lone surrogate)"
    return None


def _path(parent: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{parent}[{key}]"
    return f"{parent}.{key}" if parent else key


def _walk(value: Any, path: str) -> str | None:
    """The first problem in a (depth-checked) JSON value's keys and strings, with its place."""
    stack: list[tuple[Any, str]] = [(value, path)]
    while stack:
        node, where = stack.pop()
        if isinstance(node, str):
            if problem := text_problem(node):
                return f"The value at {where or 'the top'} {problem}."
            if len(node) > MAX_LONG_TEXT:
                return f"The value at {where} is longer than {MAX_LONG_TEXT:,} characters."
        elif isinstance(node, dict):
            for key, item in node.items():
                if problem := text_problem(key):
                    return f"A key in {where or 'the object'} {problem}."
                stack.append((item, _path(where, key)))
        elif isinstance(node, list):
            stack.extend((item, _path(where, i)) for i, item in enumerate(node))
    return None


def custom_fields_problem(value: Any, *, depth_used: int = 2) -> str | None:
    """Why a person's custom_fields cannot be stored, or None.

    `depth_used`: levels above it in the posted body (the body and its custom_fields key), so
    the whole body nests no deeper than the intake allows.
    """
    if not isinstance(value, dict):
        return "Send a JSON object."
    if len(value) > MAX_CUSTOM_FIELDS:
        return f"At most {MAX_CUSTOM_FIELDS} keys (got {len(value):,})."
    room = MAX_JSON_DEPTH - depth_used + 1
    if json_depth(value, room) > room:
        return f"A posted body may nest at most {MAX_JSON_DEPTH} levels deep."
    for key in value:
        if len(key) > MAX_KEY_LENGTH:
            return f"Keys are at most {MAX_KEY_LENGTH} characters ({key[:20]!r}… is longer)."
    if problem := _walk(value, ""):
        return problem
    size = len(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode())
    if size > MAX_CUSTOM_FIELDS_BYTES:
        return f"At most {MAX_CUSTOM_FIELDS_BYTES // 1024} KB as JSON (got {size:,} bytes)."
    return None
