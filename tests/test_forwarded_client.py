"""X-Forwarded-For / X-Forwarded-Proto are believed only from a trusted proxy (TRUSTED_PROXIES).

Behind nginx (docs/deploy.md) the intake log records the client's address, not the proxy's, and
a request the client made over https is secure; from anyone else the headers are ignored, and
with no proxy configured (a direct run) they change nothing.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import pytest
from django.test import Client, override_settings

from ingest.models import IntakeEvent
from sources.models import SourceCampaign
from tests.integration.processes import BASE_DIR

pytestmark = pytest.mark.django_db

BEHIND_PROXY = override_settings(
    TRUSTED_PROXIES=["10.0.0.0/8"],
    SECURE_PROXY_SSL_HEADER=("HTTP_X_FORWARDED_PROTO", "https"),
)


def post_from(client: Client, entry: SourceCampaign, peer: str, **meta: Any) -> None:
    response = client.post(
        f"/source/{entry.source_id}/campaign/{entry.campaign_id}/contact",
        json.dumps({"email": "a@example.com"}),
        content_type="application/json",
        headers={"token": entry.source.token},  # type: ignore[attr-defined]
        REMOTE_ADDR=peer,
        **meta,
    )
    assert response.status_code == 200, response.content


def docs_cookie_secure(client: Client, entry: SourceCampaign, peer: str, **meta: Any) -> bool:
    response = client.post(
        f"/source/{entry.source_id}/docs-login",
        {"token": entry.source.token, "next": f"/source/{entry.source_id}"},  # type: ignore[attr-defined]
        REMOTE_ADDR=peer,
        **meta,
    )
    assert response.status_code == 303
    return bool(response.cookies[f"cs_docs_{entry.source_id}"]["secure"])


@BEHIND_PROXY
def test_it_logs_the_forwarded_client_address_when_the_peer_is_a_trusted_proxy(client, entry):
    post_from(client, entry, "10.0.0.5", HTTP_X_FORWARDED_FOR="198.51.100.7")

    assert IntakeEvent.objects.get().client_ip == "198.51.100.7"


@BEHIND_PROXY
def test_it_takes_the_first_untrusted_address_from_the_right_of_the_chain(client, entry):
    # The client claimed 203.0.113.66 itself; 10.0.0.9 is a second proxy of ours.
    chain = "203.0.113.66, 198.51.100.7, 10.0.0.9"
    post_from(client, entry, "10.0.0.5", HTTP_X_FORWARDED_FOR=chain)

    assert IntakeEvent.objects.get().client_ip == "198.51.100.7"


@BEHIND_PROXY
def test_it_keeps_the_peer_when_the_forwarded_address_is_not_an_address(client, entry):
    post_from(client, entry, "10.0.0.5", HTTP_X_FORWARDED_FOR="unknown, <script>")

    assert IntakeEvent.objects.get().client_ip == "10.0.0.5"


@BEHIND_PROXY
def test_it_ignores_forwarded_headers_from_a_peer_that_is_not_a_trusted_proxy(client, entry):
    spoofed = {"HTTP_X_FORWARDED_FOR": "198.51.100.7", "HTTP_X_FORWARDED_PROTO": "https"}
    post_from(client, entry, "192.0.2.10", **spoofed)

    assert IntakeEvent.objects.get().client_ip == "192.0.2.10"
    assert docs_cookie_secure(client, entry, "192.0.2.10", **spoofed) is False


@BEHIND_PROXY
def test_the_docs_cookie_is_secure_when_a_trusted_proxy_says_the_client_used_https(client, entry):
    assert docs_cookie_secure(client, entry, "10.0.0.5", HTTP_X_FORWARDED_PROTO="https") is True
    assert docs_cookie_secure(client, entry, "10.0.0.5", HTTP_X_FORWARDED_PROTO="http") is False


def test_without_trusted_proxies_forwarded_headers_change_nothing(client, entry):
    spoofed = {"HTTP_X_FORWARDED_FOR": "198.51.100.7", "HTTP_X_FORWARDED_PROTO": "https"}
    post_from(client, entry, "192.0.2.10", **spoofed)

    assert IntakeEvent.objects.get().client_ip == "192.0.2.10"
    assert docs_cookie_secure(client, entry, "192.0.2.10", **spoofed) is False


def test_a_trusted_proxies_entry_that_is_not_an_address_stops_the_start() -> None:
    env = {**os.environ, "TRUSTED_PROXIES": "10.0.0.0/8,nginx"}
    done = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=BASE_DIR,
        env={**env, "DJANGO_SETTINGS_MODULE": "contactsource.settings"},
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert done.returncode != 0
    assert "TRUSTED_PROXIES: 'nginx'" in done.stderr
