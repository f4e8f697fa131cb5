"""PII (emails, phone numbers) and tokens are masked in every log line the project writes."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from typing import Any

import pytest

import ingest.views
from contactsource.logmask import PiiMaskingFilter, mask
from sources.models import SourceCampaign

EMAIL = "greg.scott@example.com"
PHONE_E164 = "+17272870426"


@pytest.mark.parametrize(
    ("text", "hidden"),
    [
        (f"posted {EMAIL}", EMAIL),
        ("posted greg.scott%40example.com", "greg.scott%40example.com"),
        (f"phone {PHONE_E164}", "7272870426"),
        ("phone (727) 287-0426", "287-0426"),
        ("phone 727-287-0426", "287-0426"),
        ("phone 7272870426", "7272870426"),
        ('{"token": "s3cr3t-value"}', "s3cr3t-value"),
        ("GET /x?token=s3cr3t-value&a=1", "s3cr3t-value"),
        ("Authorization: Bearer s3cr3t-value", "s3cr3t-value"),
        ("X-Auth-Token: s3cr3t-value", "s3cr3t-value"),
        ("DETAIL:  Key (email)=(greg.scott@example.com) already exists.", EMAIL),
    ],
)
def test_it_masks_pii_and_credentials(text: str, hidden: str) -> None:
    assert hidden not in mask(text)


@pytest.mark.parametrize(
    "text",
    [
        "2026-11-23 18:22:56 INFO ingest.views intake",
        "request 3f2a1c9e-1234-5678-9abc-def012345678 took 0.0123 s",
        "delivery 12345 attempt 3 answered 503",
    ],
)
def test_it_leaves_dates_ids_and_counts_alone(text: str) -> None:
    assert mask(text) == text


def test_it_keeps_enough_to_tell_values_apart() -> None:
    assert mask(EMAIL) == "g***@example.com"
    assert mask(PHONE_E164) == "+*********26"


@pytest.fixture
def log_output() -> Iterator[io.StringIO]:
    """What the configured root handler (settings.LOGGING) writes, captured."""
    handlers = [
        h
        for h in logging.getLogger().handlers
        if any(isinstance(f, PiiMaskingFilter) for f in h.filters)
    ]
    assert handlers, "settings.LOGGING must put PiiMaskingFilter on the root handler"
    handler = handlers[0]
    assert isinstance(handler, logging.StreamHandler)
    stream = io.StringIO()
    previous = handler.setStream(stream)
    try:
        yield stream
    finally:
        handler.setStream(previous)


def test_the_configured_handler_masks_message_args_and_tracebacks(log_output: io.StringIO) -> None:
    logger = logging.getLogger("ingest.test")
    logger.warning("posted %s with %s", EMAIL, PHONE_E164)
    try:
        raise ValueError(f"could not store {EMAIL}")
    except ValueError:
        logger.exception("crash, token=%s", "s3cr3t-value")

    written = log_output.getvalue()
    assert "g***@example.com" in written
    for secret in (EMAIL, "7272870426", "s3cr3t-value"):
        assert secret not in written
    assert "Traceback" in written


@pytest.mark.django_db
def test_an_intake_crash_logs_no_pii(
    entry: SourceCampaign,
    post_contact: Any,
    log_output: io.StringIO,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def explode(*, req: Any) -> Any:
        # An error whose text carries the posted values, as a database error's DETAIL would.
        raise RuntimeError(f"duplicate key: {req.payload}")

    monkeypatch.setattr(ingest.views, "intake_contact", explode)

    response = post_contact(entry, {"email": EMAIL, "phone": PHONE_E164})

    assert response.status_code == 500
    written = log_output.getvalue()
    assert "intake crashed" in written
    assert EMAIL not in written and "7272870426" not in written
    assert entry.source.token not in written  # type: ignore[attr-defined]
