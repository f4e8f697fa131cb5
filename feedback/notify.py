"""Telling a source of each approved return (filled in with the change-notification channel)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from feedback.models import ContactReturn


def return_notify_source(*, ret: ContactReturn) -> None:
    return None
