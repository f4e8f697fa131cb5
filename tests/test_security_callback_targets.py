"""Callbacks refuse private, loopback and link-local targets unless CALLBACK_ALLOW_PRIVATE is set.

Only loopback addresses ever receive traffic here: every other private address is checked with
`check_target` alone, which refuses before any connection is made.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.test import override_settings

from contactsource.webhooks import UnsafeTargetError, check_target, signed_post

SECRET = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"  # base64 of 24 bytes, test only


@pytest.fixture
def receiver() -> Iterator[tuple[str, list[bytes]]]:
    """A loopback HTTP server that records what it receives."""
    received: list[bytes] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            received.append(self.rfile.read(int(self.headers["Content-Length"])))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/hook", received
    finally:
        server.shutdown()
        server.server_close()


def _post(url: str) -> object:
    return signed_post(
        url, secret=SECRET, msg_id="msg_1", timestamp=datetime.now(UTC), body='{"a": 1}', timeout=3
    )


@override_settings(CALLBACK_ALLOW_PRIVATE=False)
def test_a_loopback_receiver_gets_nothing_when_private_targets_are_refused(
    receiver: tuple[str, list[bytes]],
) -> None:
    url, received = receiver
    result = _post(url)
    assert result.status_code is None  # type: ignore[attr-defined]
    assert "private or loopback" in result.error  # type: ignore[attr-defined]
    assert received == []


@override_settings(CALLBACK_ALLOW_PRIVATE=True)
def test_a_loopback_receiver_is_called_when_private_targets_are_allowed(
    receiver: tuple[str, list[bytes]],
) -> None:
    url, received = receiver
    result = _post(url)
    assert result.status_code == 200  # type: ignore[attr-defined]
    assert received == [b'{"a": 1}']


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/hook",
        "http://localhost:8080/hook",
        "http://[::1]/hook",
        "http://0.0.0.0/hook",
        "http://10.1.2.3/hook",
        "http://172.16.0.1/hook",
        "http://192.168.1.1/hook",
        "http://169.254.169.254/latest/meta-data/",  # cloud metadata
        "http://[fe80::1]/hook",
        "http://[fd00::1]/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://2130706433/hook",  # 127.0.0.1 as one decimal number
        "http://0x7f.0.0.1/hook",
        "http://224.0.0.1/hook",
    ],
)
@override_settings(CALLBACK_ALLOW_PRIVATE=False)
def test_it_refuses_private_loopback_and_link_local_targets(url: str) -> None:
    with pytest.raises(UnsafeTargetError):
        check_target(url)


@pytest.mark.parametrize(
    "url", ["ftp://example.com/x", "file:///etc/passwd", "http:///nohost", "gopher://x", "/x"]
)
@override_settings(CALLBACK_ALLOW_PRIVATE=True)
def test_it_refuses_anything_but_absolute_http_urls_even_when_private_is_allowed(url: str) -> None:
    with pytest.raises(UnsafeTargetError):
        check_target(url)


@override_settings(CALLBACK_ALLOW_PRIVATE=False)
def test_it_accepts_a_public_address() -> None:
    # An IP literal: no DNS lookup, no connection, just the address check.
    check_target("https://93.184.215.14/hook")
