"""What a source's partner can post, as plain data, and the human-readable diff of two versions.

Pure functions, no database: the selectors build snapshots, the services record the diff.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class FieldSnapshot:
    type: str
    required: bool
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class CampaignSnapshot:
    name: str
    fields: dict[str, FieldSnapshot] = field(default_factory=dict)


# campaign id → what the partner sees of it
ApiSnapshot = dict[int, CampaignSnapshot]


def _line(kind: str, campaign_id: int, text: str, field_key: str = "") -> dict[str, Any]:
    return {"kind": kind, "campaign_id": campaign_id, "field": field_key, "text": text}


def _describe(spec: FieldSnapshot) -> str:
    parts = [spec.type, "required" if spec.required else "optional"]
    if spec.choices:
        parts.append("one of " + ", ".join(spec.choices))
    return "; ".join(parts)


def _quoted(values: list[str]) -> str:
    return ", ".join(f"'{value}'" for value in values)


def _field_lines(
    campaign_id: int, label: str, key: str, old: FieldSnapshot, new: FieldSnapshot
) -> list[dict[str, Any]]:
    lines = []
    where = f"{label}: field '{key}'"
    if old.required != new.required:
        kind = "field_required" if new.required else "field_optional"
        text = f"{where} is now required." if new.required else f"{where} is no longer required."
        lines.append(_line(kind, campaign_id, text, key))
    if old.type != new.type:
        text = f"{where} changed type from {old.type} to {new.type}."
        lines.append(_line("field_type", campaign_id, text, key))
    if old.choices != new.choices:
        added = [c for c in new.choices if c not in old.choices]
        removed = [c for c in old.choices if c not in new.choices]
        details = []
        if added:
            details.append(f"added {_quoted(added)}")
        if removed:
            details.append(f"removed {_quoted(removed)}")
        text = f"{where} allowed values changed: {'; '.join(details) or 'reordered'}."
        lines.append(_line("field_choices", campaign_id, text, key))
    return lines


def _campaign_lines(
    campaign_id: int, old: CampaignSnapshot, new: CampaignSnapshot
) -> list[dict[str, Any]]:
    label = f"Campaign {campaign_id} ({new.name})"
    lines = []
    for key in sorted(new.fields.keys() - old.fields.keys()):
        text = f"{label}: field '{key}' added ({_describe(new.fields[key])})."
        lines.append(_line("field_added", campaign_id, text, key))
    for key in sorted(old.fields.keys() - new.fields.keys()):
        text = f"{label}: field '{key}' removed."
        lines.append(_line("field_removed", campaign_id, text, key))
    for key in sorted(old.fields.keys() & new.fields.keys()):
        lines.extend(_field_lines(campaign_id, label, key, old.fields[key], new.fields[key]))
    return lines


def api_diff(before: ApiSnapshot, after: ApiSnapshot) -> list[dict[str, Any]]:
    """One line per change, campaigns in id order; empty when nothing a partner sees changed.

    Labels and examples are not API changes (they change no request that works or fails).
    """
    lines: list[dict[str, Any]] = []
    for campaign_id in sorted(before.keys() | after.keys()):
        old, new = before.get(campaign_id), after.get(campaign_id)
        if old is None and new is not None:
            required = sorted(key for key, spec in new.fields.items() if spec.required)
            suffix = f"; required fields: {', '.join(required)}" if required else ""
            text = f"Campaign {campaign_id} ({new.name}) added: you may now post into it{suffix}."
            lines.append(_line("campaign_added", campaign_id, text))
        elif new is None and old is not None:
            text = f"Campaign {campaign_id} ({old.name}) removed: posts into it are now refused."
            lines.append(_line("campaign_removed", campaign_id, text))
        elif old is not None and new is not None:
            lines.extend(_campaign_lines(campaign_id, old, new))
    return lines
