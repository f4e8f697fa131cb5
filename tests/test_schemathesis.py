"""Schemathesis against the live app: every operation of the schema it serves, a bounded number
of generated requests each, and not one 5xx or answer that breaks its documented schema.

The server is pytest-django's live server (a free port, the test database). The API is driven as
a superuser (token) and the intake with a real source's token and ids, so generated requests get
past authentication into the pipeline. Phases and examples per operation are bounded (defaults
below; `SCHEMATHESIS_PHASES=examples,coverage,fuzzing,stateful` for a deeper run).
"""

from __future__ import annotations

import os
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Any

import httpx
import pytest
from celery.app.task import Task
from django.conf import settings
from django.contrib.auth.models import User
from rest_framework.authtoken.models import Token
from rest_framework.settings import api_settings

from tests.api_clients import make_entry, token_of
from tests.factories import CampaignFieldFactory, CapFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(900)]

SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")
CHECKS = (
    "not_a_server_error,status_code_conformance,content_type_conformance,"
    "response_headers_conformance,response_schema_conformance"
)
PHASES = os.environ.get("SCHEMATHESIS_PHASES", "examples,fuzzing,stateful")
MAX_EXAMPLES = os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "10")
# Far from the small ids generated requests pick, so they do not rotate this source's token.
SOURCE_ID, CAMPAIGN_ID = 7_654_321, 7_654_322
CONFIG = f"""
[parameters]
"path.source_id" = "{SOURCE_ID}"
"path.campaign_id" = "{CAMPAIGN_ID}"

[phases.coverage]
unexpected-methods = []
generate-duplicate-query-parameters = false

[phases.coverage.generation]
mode = "positive"
"""


def _offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """Generated data creates endpoints with real-looking URLs: send nothing anywhere."""

    def refuse(self: Any, request: httpx.Request, **kwargs: Any) -> httpx.Response:
        raise httpx.ConnectError("offline during the schemathesis run", request=request)

    monkeypatch.setattr(httpx.Client, "send", refuse)
    monkeypatch.setattr(Task, "apply_async", lambda self, *args, **kwargs: None)
    # The generated load is the point here, not the rate limits (API throttles, and the 429
    # that the intake answers an address after many requests without a valid token).
    monkeypatch.setattr(api_settings, "DEFAULT_THROTTLE_RATES", {})
    monkeypatch.setattr(settings, "AUTH_FAILURE_LIMIT_PER_ADDRESS", 10**9)
    monkeypatch.setattr(settings, "AUTH_FAILURE_LIMIT_PER_SOURCE", 10**9)


def test_schemathesis_finds_no_server_error_and_no_schema_violation(
    live_server: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _offline(monkeypatch)
    entry = make_entry(source__id=SOURCE_ID, campaign__id=CAMPAIGN_ID)
    for key, type_ in [("email", "email"), ("phone", "tel"), ("zipcode", "zipcode")]:
        CampaignFieldFactory.create(campaign=entry.campaign, key=key, type=type_)
    CapFactory.create(campaign=entry.campaign, source=entry.source, limit=50)
    root = User.objects.create_superuser("schemathesis", "st@example.com", None)
    api_token = Token.objects.create(user=root).key
    # The schema the live server serves, fetched once (generating it takes a few seconds).
    schema = tmp_path / "schema.json"
    with urllib.request.urlopen(f"{live_server.url}/api/schema/?format=json", timeout=120) as r:
        schema.write_bytes(r.read())
    config = tmp_path / "schemathesis.toml"
    config.write_text(CONFIG)
    command = [
        str(SCHEMATHESIS),
        "--config-file",
        str(config),
        "--no-color",
        "run",
        str(schema),
        "--url",
        live_server.url,
        "--phases",
        PHASES,
        "--checks",
        CHECKS,
        "--max-examples",
        MAX_EXAMPLES,
        "--seed",
        "20250301",
        "--workers",
        "2",
        "--request-timeout",
        "60",
        "--generation-database",
        "none",
        "--suppress-health-check",
        "all",
        "-H",
        f"Authorization: Token {api_token}",
        "-H",
        f"token: {token_of(entry.source)}",
    ]

    result = subprocess.run(command, capture_output=True, text=True, timeout=840, check=False)

    report = result.stdout + result.stderr
    assert result.returncode == 0, report[-40000:]
    assert "68 selected" in report or " selected / " in report
