"""What an IntakeEvent keeps of the posted fields: bounded, so one post cannot bloat the log.

DESIGN §4: the log keeps what was posted, each value cut to a bounded length with a marker. A
request answered before its source was authenticated (no token, unknown source, bad token, …)
keeps less: a summary of field names and their count, never a value, since a stranger's post
may carry anyone's personal data and nobody vouches for it.
"""

from __future__ import annotations

import re
from typing import Any

MAX_LOGGED_VALUE = 1_000
SUMMARY_NAMES = 20
SUMMARY_NAME_LENGTH = 50
NOT_KEPT = "not kept: the request was answered before its source was authenticated"


def cut_value(value: Any) -> Any:
    """A string longer than the limit keeps its start and says how long it was."""
    if isinstance(value, str) and len(value) > MAX_LOGGED_VALUE:
        return f"{value[:MAX_LOGGED_VALUE]}…[cut: {len(value):,} characters]"
    if isinstance(value, list):
        return [cut_value(item) for item in value]
    return value


_CUT_MARKER = re.compile(r"…\[cut: ([\d,]+) characters\]\Z")


def cut_lengths(provided: Any) -> dict[str, int]:
    """The logged values that were cut, by key, with their length as posted (read from the
    marker; a list counts its longest cut item): for the timeline to say so plainly."""
    if not isinstance(provided, dict):
        return {}
    lengths: dict[str, int] = {}
    for key, value in provided.items():
        for item in value if isinstance(value, list) else [value]:
            match = _CUT_MARKER.search(item) if isinstance(item, str) else None
            if match:
                length = int(match.group(1).replace(",", ""))
                lengths[key] = max(length, lengths.get(key, 0))
    return lengths


def provided_for_log(provided: dict[str, Any] | None) -> dict[str, Any] | None:
    """The posted fields as logged: every value cut to MAX_LOGGED_VALUE characters."""
    if provided is None:
        return None
    return {key: cut_value(value) for key, value in provided.items()}


def unauthenticated_summary(provided: dict[str, Any] | None) -> dict[str, Any] | None:
    """Instead of the fields of an unauthenticated request: how many there were and the first
    SUMMARY_NAMES names (each cut to SUMMARY_NAME_LENGTH characters), no values."""
    if not provided:
        return provided
    names = [name[:SUMMARY_NAME_LENGTH] for name in list(provided)[:SUMMARY_NAMES]]
    return {"field_count": len(provided), "field_names": names, "values": NOT_KEPT}
