"""Callbacks refuse private and loopback targets unless CALLBACK_ALLOW_PRIVATE is set, and
link-local and cloud metadata targets and any scheme but http(s) always (DESIGN §7).

Only loopback addresses ever receive traffic here: every other private address is checked with
`check_target` alone, which refuses before any connection is made.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest
from django.test import override_settings

from contactsource.webhooks import UnsafeTargetError, check_target, pinned_request, signed_post

SECRET = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"  # base64 of 24 bytes, test only


@pytest.fixture
def loopback() -> Iterator[tuple[int, list[bytes], list[str]]]:
    """A loopback HTTP server that records the bodies and Host headers it receives."""
    received: list[bytes] = []
    hosts: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            received.append(self.rfile.read(int(self.headers["Content-Length"])))
            hosts.append(self.headers["Host"])
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_port, received, hosts
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def receiver(loopback: tuple[int, list[bytes], list[str]]) -> tuple[str, list[bytes]]:
    port, received, _hosts = loopback
    return f"http://127.0.0.1:{port}/hook", received


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
    # An IP literal: no DNS lookup, no connection, just the address check. The checked
    # address is what the request is pinned to.
    assert check_target("https://93.184.215.14/hook") == "93.184.215.14"


@override_settings(CALLBACK_ALLOW_PRIVATE=False)
def test_the_request_goes_to_the_address_that_was_checked_not_a_second_lookup(
    loopback: tuple[int, list[bytes], list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """DNS rebinding: the name answers a harmless address to the check and a private one
    afterwards. Only loopback can receive here, so loopback stands in for the public address
    the check approved, and an unroutable private address for the rebound one."""
    port, received, hosts = loopback
    real_getaddrinfo = socket.getaddrinfo
    lookups: list[str] = []

    def rebinding(host: str, *args: Any, **kwargs: Any) -> list[Any]:
        if host != "crm.rebind.test":
            return list(real_getaddrinfo(host, *args, **kwargs))
        lookups.append(host)
        address = "127.0.0.1" if len(lookups) == 1 else "10.255.255.1"
        return [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (address, port))]

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    monkeypatch.setattr("contactsource.webhooks._is_public", lambda a: a == "127.0.0.1")

    result = _post(f"http://crm.rebind.test:{port}/hook")

    assert result.status_code == 200, result  # type: ignore[attr-defined]
    assert received == [b'{"a": 1}']
    assert hosts == [f"crm.rebind.test:{port}"]
    assert lookups == ["crm.rebind.test"]  # checked once, never resolved again


@pytest.mark.parametrize(
    ("url", "address", "expected", "host", "sni"),
    [
        (
            "https://crm.example.com/hook?a=1",
            "93.184.215.14",
            "https://93.184.215.14/hook?a=1",
            "crm.example.com",
            "crm.example.com",
        ),
        (
            "http://user:pw@crm.example.com:8080/hook",
            "2606:2800:21f:cb07:6820:80da:af6b:8b2c",
            "http://user:pw@[2606:2800:21f:cb07:6820:80da:af6b:8b2c]:8080/hook",
            "crm.example.com:8080",
            None,
        ),
    ],
)
def test_a_pinned_request_keeps_the_name_for_host_and_tls(url, address, expected, host, sni):
    pinned, headers, extensions = pinned_request(url, address)

    assert pinned == expected
    assert headers == {"Host": host}
    assert extensions.get("sni_hostname") == sni


def test_a_pinned_ipv6_literal_keeps_its_brackets_in_the_host_header():
    _url, headers, _extensions = pinned_request("http://[::1]:8080/hook", "::1")

    assert headers == {"Host": "[::1]:8080"}


# Link-local and cloud metadata targets, in the forms that reach them: refused always.
NEVER = [
    "http://169.254.169.254/latest/meta-data/",
    "http://169.254.170.2/v2/credentials",  # ECS task credentials
    "http://[::ffff:169.254.169.254]/",
    "http://[::ffff:a9fe:a9fe]/",
    "http://[::a9fe:a9fe]/",  # IPv4-compatible
    "http://[2002:a9fe:a9fe::1]/",  # 6to4
    "http://[64:ff9b::a9fe:a9fe]/",  # NAT64
    "http://[fe80::1]/hook",
    "http://[fd00:ec2::254]/latest/meta-data/",
    "http://100.100.100.200/latest/meta-data/",
    "http://2852039166/",  # 169.254.169.254 as one decimal number
    "http://0xa9.0xfe.0xa9.0xfe/",
    "http://metadata.google.internal/computeMetadata/v1/",
    "http://METADATA.google.internal./computeMetadata/v1/",
    "https://metadata/computeMetadata/v1/",
]


@pytest.mark.parametrize("url", NEVER)
@override_settings(CALLBACK_ALLOW_PRIVATE=True)
def test_it_refuses_link_local_and_metadata_targets_even_when_private_is_allowed(url: str) -> None:
    with pytest.raises(UnsafeTargetError, match="link-local or cloud metadata"):
        check_target(url)


@override_settings(CALLBACK_ALLOW_PRIVATE=True)
def test_it_refuses_a_name_that_resolves_to_a_metadata_address_when_called(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Saved while harmless, pointed at the metadata service later: the call checks again."""

    def resolver(host: str, port: Any, *args: Any, **kwargs: Any) -> list[Any]:
        assert host == "crm.rebind.test"
        return [
            (socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", ("169.254.169.254", port))
        ]

    monkeypatch.setattr(socket, "getaddrinfo", resolver)

    result = _post("http://crm.rebind.test/hook")

    assert result.status_code is None  # type: ignore[attr-defined]
    assert "resolves to 169.254.169.254" in result.error  # type: ignore[attr-defined]


@override_settings(CALLBACK_ALLOW_PRIVATE=True)
def test_an_allowed_private_target_is_pinned_to_the_checked_address() -> None:
    assert check_target("http://[::ffff:127.0.0.1]:8080/hook") == "::ffff:127.0.0.1"
    assert check_target("http://127.0.0.1:8080/hook") == "127.0.0.1"


@override_settings(CALLBACK_ALLOW_PRIVATE=True)
def test_a_loopback_receiver_gets_nothing_from_a_metadata_url_or_bad_headers(
    loopback: tuple[int, list[bytes], list[str]],
) -> None:
    port, received, _hosts = loopback
    bad_header = signed_post(
        f"http://127.0.0.1:{port}/hook",
        secret=SECRET,
        msg_id="msg_1",
        timestamp=datetime.now(UTC),
        body="{}",
        headers={"X-Key": "a\r\nX-Injected: 1"},
        timeout=3,
    )

    assert bad_header.status_code is None
    assert "X-Key" in bad_header.error
    assert received == []


# --- Every delivery connects to an address checked when it is sent, whatever the setting --------


def _resolving(monkeypatch: pytest.MonkeyPatch, answers: Iterator[str | None]) -> list[str]:
    """`crm.rebind.test` answers the next of `answers` at each lookup (None: does not resolve);
    every other name resolves as usual. Returns the lookups of that name, in order."""
    real_getaddrinfo = socket.getaddrinfo
    lookups: list[str] = []

    def resolver(host: Any, port: Any, *args: Any, **kwargs: Any) -> list[Any]:
        if host != "crm.rebind.test":
            return list(real_getaddrinfo(host, port, *args, **kwargs))
        lookups.append(host)
        address = next(answers)
        if address is None:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (address, port))]

    monkeypatch.setattr(socket, "getaddrinfo", resolver)
    return lookups


def _saved_and_delivered(url: str) -> Any:
    """Save an endpoint through the API, subscribe a person, attempt the callback once."""
    from subscriptions.models import CallbackDelivery
    from subscriptions.services import PersonData, contact_subscribe, delivery_send
    from tests.api_clients import make_campaign, make_source, superuser_client

    saved = superuser_client().post(
        "/api/v1/callback-endpoints/", {"name": "CRM", "url": url}, format="json"
    )
    assert saved.status_code == 201, saved.data
    contact_subscribe(
        contact_id=1,
        campaign_id=make_campaign().pk,
        source_id=make_source().pk,
        person=PersonData(email="ada@example.com"),
        at=datetime.now(UTC),
    )
    delivery = CallbackDelivery.objects.get()
    delivery_send(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    return delivery


@pytest.mark.django_db
@override_settings(CALLBACK_ALLOW_PRIVATE=False)
def test_a_name_that_resolves_to_a_private_address_when_sent_is_never_contacted(
    loopback: tuple[int, list[bytes], list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    port, received, _hosts = loopback
    _resolving(monkeypatch, iter(["127.0.0.1"] * 10))

    delivery = _saved_and_delivered(f"http://crm.rebind.test:{port}/hook")

    assert received == []
    assert delivery.status == "pending"  # retried later, checked again then
    assert "resolves to a private or loopback address" in delivery.last_error


@pytest.mark.django_db
@override_settings(CALLBACK_ALLOW_PRIVATE=True)
def test_with_private_allowed_a_name_unknown_when_saved_is_called_at_its_checked_address(
    loopback: tuple[int, list[bytes], list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    port, received, hosts = loopback
    # Saving: not resolvable yet. Sending: one lookup, checked, and the connection goes there.
    lookups = _resolving(monkeypatch, iter([None, "127.0.0.1", "10.255.255.1"]))

    delivery = _saved_and_delivered(f"http://crm.rebind.test:{port}/hook")

    assert delivery.status == "delivered", delivery.last_error
    assert len(received) == 1
    assert hosts == [f"crm.rebind.test:{port}"]
    assert lookups == ["crm.rebind.test", "crm.rebind.test"]  # saving, sending; never again


@pytest.mark.django_db
@override_settings(CALLBACK_ALLOW_PRIVATE=True)
def test_with_private_allowed_a_name_that_does_not_resolve_when_sent_is_refused(
    loopback: tuple[int, list[bytes], list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Not left to the HTTP client to resolve: its own lookup a moment after the check could
    answer anything. The loopback receiver stands in for that unchecked address."""
    port, received, _hosts = loopback
    _resolving(monkeypatch, iter([None, None, *["127.0.0.1"] * 10]))

    delivery = _saved_and_delivered(f"http://crm.rebind.test:{port}/hook")

    assert received == []
    assert delivery.status == "pending"
    assert "does not resolve" in delivery.last_error
