"""Source tokens: compared in constant time, never logged, never stored with the event."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
from typing import Any

import pytest
from django.test import Client

import contactsource.tokens
from ingest.models import IntakeEvent
from sources.models import SourceCampaign

pytestmark = pytest.mark.django_db

WRONG = "wrong-token-ZZZ-0123456789"


def test_it_compares_token_hashes_of_equal_length_with_compare_digest(
    entry: SourceCampaign, post_contact: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[tuple[Any, Any]] = []
    real = hmac.compare_digest

    def spy(a: Any, b: Any) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(contactsource.tokens.hmac, "compare_digest", spy)

    response = post_contact(entry, {"email": "a@example.com"}, token=WRONG)

    assert response.status_code == 401
    presented = hashlib.sha256(WRONG.encode()).hexdigest()
    assert (presented, entry.source.token_hash) in calls
    # Both sides are fixed-length digests: the time taken cannot depend on how much of the
    # presented token matches, nor on its length; the plain token is never compared.
    assert all(len(a) == len(b) == 64 for a, b in calls)
    assert all(WRONG not in (a, b) for a, b in calls)


def test_a_valid_token_is_also_checked_with_compare_digest(
    entry: SourceCampaign, post_contact: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[tuple[Any, Any]] = []
    real = hmac.compare_digest

    def spy(a: Any, b: Any) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(contactsource.tokens.hmac, "compare_digest", spy)

    response = post_contact(entry, {"email": "a@example.com"})

    assert response.status_code == 200
    assert (entry.source.token_hash, entry.source.token_hash) in calls


def _ways_to_send(token: str) -> list[tuple[str, dict[str, Any], dict[str, str]]]:
    basic = base64.b64encode(f"user:{token}".encode()).decode()
    return [
        ("", {"token": token}, {}),
        (f"?token={token}", {}, {}),
        ("", {}, {"token": token}),
        ("", {}, {"X-Auth-Token": token}),
        ("", {}, {"Authorization": f"Bearer {token}"}),
        ("", {}, {"Authorization": f"Basic {basic}"}),
    ]


@pytest.mark.parametrize("valid", [True, False], ids=["valid", "invalid"])
def test_a_token_never_reaches_the_logs_or_the_event_log(
    entry: SourceCampaign, caplog: pytest.LogCaptureFixture, valid: bool
) -> None:
    caplog.set_level(logging.DEBUG)
    token = entry.source.token if valid else WRONG  # type: ignore[attr-defined]
    client = Client()
    url = f"/source/{entry.source_id}/campaign/{entry.campaign_id}/contact"
    for n, (query, body, headers) in enumerate(_ways_to_send(token)):
        payload = {"email": f"t{n}@example.com", **body}
        response = client.post(
            url + query, json.dumps(payload), content_type="application/json", headers=headers
        )
        assert response.status_code == (200 if valid else 401)
        assert token not in response.content.decode()

    # Every line as written (message, arguments, tracebacks), before any masking filter.
    assert token not in caplog.text
    assert all(token not in record.getMessage() for record in caplog.records)
    for event in IntakeEvent.objects.all():
        stored = json.dumps(
            [event.fields_provided, event.fields_stored, event.errors, event.response]
        )
        assert token not in stored
