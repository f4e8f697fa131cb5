"""A body sent with Transfer-Encoding: chunked (no Content-Length) is read, or answered 411.

Django reads such a body as empty, which answered 418 "No fields were posted" even at 2 MB.
Now it is read from the server's stream when the server de-chunks it (gunicorn does, and says so
with `wsgi.input_terminated`), bounded by the same limit (413), and answered 411 otherwise.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import socket
import threading
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from bench import harness
from ingest.models import Contact, IntakeEvent
from sources.models import SourceCampaign
from tests.factories import CampaignFieldFactory, SourceCampaignFactory
from tests.integration.processes import database_url

pytestmark = pytest.mark.django_db


def url(entry: SourceCampaign) -> str:
    return f"/source/{entry.source_id}/campaign/{entry.campaign_id}/contact"


def post_unframed(client: Client, entry: SourceCampaign, body: bytes, **environ: Any) -> Any:
    """A POST with Transfer-Encoding: chunked and no Content-Length, as a WSGI server passes it
    on: `environ` says whether the server de-chunked the stream."""
    return client.generic(
        "POST",
        url(entry),
        b"",
        headers={"token": entry.source.token},  # type: ignore[attr-defined]
        CONTENT_TYPE="application/json",
        HTTP_TRANSFER_ENCODING="chunked",
        **{"wsgi.input": BytesIO(body), **environ},
    )


def test_it_reads_a_chunked_body_that_the_server_de_chunked(entry, client):
    body = json.dumps({"email": "chunked@example.com"}).encode()

    answer = post_unframed(client, entry, body, **{"wsgi.input_terminated": True})

    assert answer.status_code == 200, answer.json()
    assert Contact.objects.get().email == "chunked@example.com"


def test_it_refuses_a_chunked_body_over_the_size_limit_with_413(entry, client, settings):
    settings.INTAKE_MAX_BODY_BYTES = 1024
    body = json.dumps({"email": "big@example.com", "notes": "x" * 5000}).encode()

    answer = post_unframed(client, entry, body, **{"wsgi.input_terminated": True})

    assert answer.status_code == 413
    assert answer.json()["errors"]["413"] == (
        "The request body is larger than the limit of 1024 bytes."
    )
    assert Contact.objects.count() == 0
    assert IntakeEvent.objects.get().http_status == 413


def test_it_answers_411_when_the_server_cannot_end_a_chunked_body(entry, client):
    body = json.dumps({"email": "raw@example.com"}).encode()

    answer = post_unframed(client, entry, body)  # no wsgi.input_terminated: runserver, say

    assert answer.status_code == 411
    assert "Content-Length" in answer.json()["errors"]["411"]
    assert Contact.objects.count() == 0
    assert IntakeEvent.objects.get().http_status == 411


def test_a_batch_sent_chunked_is_read_too(entry, client):
    body = json.dumps({"contacts": [{"email": "b1@example.com"}, {"email": "b2@example.com"}]})

    answer = client.generic(
        "POST",
        f"/source/{entry.source_id}/campaign/{entry.campaign_id}/contacts",
        b"",
        headers={"token": entry.source.token},
        CONTENT_TYPE="application/json",
        HTTP_TRANSFER_ENCODING="chunked",
        **{"wsgi.input": BytesIO(body.encode()), "wsgi.input_terminated": True},
    )

    assert answer.status_code == 200
    assert answer.json()["counts"] == {"accepted": 2}


# Through a real gunicorn, chunk framing on the wire.


def _send_chunked(port: int, path: str, token: str, body: bytes) -> tuple[int, dict[str, Any]]:
    """POST `body` in 1,000-byte chunks over a plain socket; the answer's status and JSON."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"token: {token}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    ).encode()
    framed = b"".join(
        b"%x\r\n%s\r\n" % (len(body[i : i + 1000]), body[i : i + 1000])
        for i in range(0, len(body), 1000)
    )

    def send() -> None:
        # The server may answer 413 and stop reading before the last chunk: not an error here.
        with contextlib.suppress(OSError):
            sock.sendall(head + framed + b"0\r\n\r\n")

    sender = threading.Thread(target=send)
    sender.start()
    try:
        response = http.client.HTTPResponse(sock)
        response.begin()
        return response.status, json.loads(response.read())
    finally:
        sender.join(timeout=30)
        sock.close()


@pytest.mark.django_db(transaction=True)
def test_gunicorn_passes_a_chunked_post_whole_and_stops_one_over_the_limit(tmp_path: Path):
    entry = SourceCampaignFactory.create()
    CampaignFieldFactory.create(campaign=entry.campaign, key="email", type="email")
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "SECRET_KEY": "chunked-test-only",
        "DEBUG": "false",
        "ALLOWED_HOSTS": "127.0.0.1",
        "LOG_LEVEL": "ERROR",
    }
    token = entry.source.token
    small = json.dumps({"email": "wire@example.com", "firstname": "W" * 100}).encode()
    large = json.dumps({"email": "huge@example.com", "notes": "x" * 2_000_000}).encode()
    with harness.services() as started:
        web = harness.start_gunicorn(env, tmp_path, name="gunicorn")
        started.append(web)
        assert web.port is not None

        status, body = _send_chunked(web.port, url(entry), token, small)
        too_large, refusal = _send_chunked(web.port, url(entry), token, large)

    assert (status, body["status"]) == (200, "accepted"), body
    assert Contact.objects.get().email == "wire@example.com"
    assert too_large == 413, refusal
    assert "1048576 bytes" in refusal["errors"]["413"]
