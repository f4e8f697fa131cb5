"""Outbound signed HTTP: Standard Webhooks signatures, address checks, no redirects, timeouts.

Shared by CRM callbacks (subscriptions) and source change notifications (sources).
"""

from __future__ import annotations

import base64
import ipaddress
import re
import secrets
import socket
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
from django.conf import settings
from standardwebhooks.webhooks import Webhook


class UnsafeTargetError(ValueError):
    """The URL points at a private, loopback or link-local address (or does not resolve)."""


# Headers custom headers may not replace: the signature and the transport's own.
RESERVED_HEADERS = frozenset(
    {
        "webhook-id",
        "webhook-timestamp",
        "webhook-signature",
        "content-type",
        "content-length",
        "host",
        "transfer-encoding",
    }
)
MAX_HEADERS = 20
MAX_HEADER_NAME = 100
MAX_HEADER_VALUE = 1000
# RFC 9110 §5.6.2: a field name is a token.
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
# Printable ASCII, space and tab: no CR, LF or NUL (header injection), nothing httpx cannot send.
_FIELD_VALUE = re.compile(r"[\t\x20-\x7e]*")


def header_problem(headers: object) -> str | None:
    """Why these custom headers cannot be sent, or None. The one rule for saving and sending."""
    if not isinstance(headers, dict):
        return 'Use a JSON object of header names to text values: {"X-Key": "…"}.'
    if len(headers) > MAX_HEADERS:
        return f"At most {MAX_HEADERS} headers."
    for name, value in headers.items():
        if not isinstance(name, str) or not isinstance(value, str):
            return 'Use a JSON object of header names to text values: {"X-Key": "…"}.'
        shown = repr(name[:MAX_HEADER_NAME])
        if len(name) > MAX_HEADER_NAME or not _TOKEN.fullmatch(name):
            return (
                f"The header name {shown} is not allowed: use up to {MAX_HEADER_NAME} letters, "
                "digits and !#$%&'*+-.^_`|~ (no spaces or colons)."
            )
        if name.lower() in RESERVED_HEADERS:
            return f"The header {shown} is set by Contact Source and cannot be replaced."
        if len(value) > MAX_HEADER_VALUE or not _FIELD_VALUE.fullmatch(value):
            return (
                f"The value of header {shown} is not allowed: use up to {MAX_HEADER_VALUE} "
                "printable ASCII characters (no CR, LF, NUL or other control characters)."
            )
    return None


def webhook_secret_generate() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


def signature_headers(secret: str, msg_id: str, timestamp: datetime, body: str) -> dict[str, str]:
    signature = Webhook(secret).sign(msg_id=msg_id, timestamp=timestamp, data=body)
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(timestamp.timestamp())),
        "webhook-signature": signature,
    }


# Never called, whatever CALLBACK_ALLOW_PRIVATE says: link-local networks, where clouds serve
# instance metadata and credentials, and the metadata services' other addresses.
_ALWAYS_REFUSED = (
    ipaddress.ip_network("169.254.0.0/16"),
    ipaddress.ip_network("fe80::/10"),
    ipaddress.ip_network("fd00:ec2::254/128"),  # AWS instance metadata over IPv6
    ipaddress.ip_network("100.100.100.200/32"),  # Alibaba Cloud instance metadata
)
_METADATA_NAMES = frozenset(
    {"metadata.google.internal", "metadata.goog", "metadata", "instance-data", "metadata.internal"}
)
_NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")


def _addresses(address: str) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    """The address and any IPv4 address inside it (mapped, compatible, 6to4, Teredo, NAT64),
    which a dual-stack host or a translating router would reach instead."""
    ip = ipaddress.ip_address(address.partition("%")[0])  # drop an IPv6 zone ("fe80::1%eth0")
    found: list[ipaddress.IPv4Address | ipaddress.IPv6Address] = [ip]
    if isinstance(ip, ipaddress.IPv6Address):
        inner = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if inner is None and (ip in _IPV4_COMPATIBLE or any(ip in net for net in _NAT64)):
            inner = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if inner is not None:
            found.append(inner)
    return found


def _always_refused(address: str) -> bool:
    return any(
        ip in net
        for ip in _addresses(address)
        for net in _ALWAYS_REFUSED
        if ip.version == net.version
    )


def _is_public(address: str) -> bool:
    return not any(
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        for ip in _addresses(address)
    )


_NEVER = "is a link-local or cloud metadata address, which callbacks never reach"


def _host(url: str) -> tuple[str, int]:
    """The URL's host and port, refusing any scheme but http(s) and metadata service names."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise UnsafeTargetError("This is not a valid URL (check its host and port).") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UnsafeTargetError("Only absolute http and https URLs can be called.")
    host = parts.hostname.rstrip(".").lower()
    if host in _METADATA_NAMES or host.endswith(".metadata.google.internal"):
        raise UnsafeTargetError(f"The host {host} {_NEVER}.")
    return parts.hostname, port or (443 if parts.scheme == "https" else 80)


def _resolve(host: str, port: int) -> list[str] | None:
    """Every address the host resolves to (IP literals too, in any form inet_aton reads)."""
    try:
        infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError):
        return None
    addresses = [str(info[4][0]) for info in infos]
    if refused := next((a for a in addresses if _always_refused(a)), None):
        where = host if refused == host else f"{host} resolves to {refused}, which"
        raise UnsafeTargetError(f"The host {where} {_NEVER}.")
    return addresses


def check_url(url: str) -> None:
    """The rule for a saved callback or notification URL (model validation, API, admin).

    http(s) only; never a link-local or metadata address, by name or by what the name resolves
    to now. A name that does not resolve yet is allowed: the check when calling decides.
    """
    _resolve(*_host(url))


def check_target(url: str) -> str:
    """Refuse targets inside our network unless CALLBACK_ALLOW_PRIVATE is set, and link-local
    and metadata targets always (checked again at each call: DNS can change after saving).

    Returns the checked address the request must go to, so that a name cannot resolve to a
    public address for the check and to a private one for the connection (DNS rebinding).
    A name that does not resolve now is refused whatever the setting: left to the HTTP client,
    its own lookup a moment later could answer any address, the metadata service's included.
    """
    host, port = _host(url)
    addresses = _resolve(host, port)
    if not addresses:
        raise UnsafeTargetError(f"The host {host} does not resolve.")
    if not settings.CALLBACK_ALLOW_PRIVATE and not all(_is_public(a) for a in addresses):
        raise UnsafeTargetError(
            f"The host {host} resolves to a private or loopback address; "
            "set CALLBACK_ALLOW_PRIVATE=true to allow it."
        )
    return addresses[0]


def pinned_request(url: str, address: str) -> tuple[str, dict[str, str], dict[str, Any]]:
    """The URL to connect to, extra headers and httpx extensions for a checked address: the
    address in the URL, the name in the Host header and in TLS (SNI and the certificate check)."""
    parts = urlsplit(url)
    host = f"[{address}]" if ":" in address else address
    userinfo = parts.netloc.rpartition("@")[0]
    port = f":{parts.port}" if parts.port else ""
    netloc = f"{userinfo}@{host}{port}" if userinfo else f"{host}{port}"
    name = parts.hostname or ""
    shown = f"[{name}]" if ":" in name else name  # an IPv6 literal keeps its brackets
    extensions: dict[str, Any] = {"sni_hostname": name} if parts.scheme == "https" else {}
    return urlunsplit(parts._replace(netloc=netloc)), {"Host": f"{shown}{port}"}, extensions


@dataclass(frozen=True)
class PostResult:
    status_code: int | None  # None: no answer (timeout, connection error, refused target)
    error: str = ""
    retry_after: str | None = None

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def signed_post(
    url: str,
    *,
    secret: str,
    msg_id: str,
    timestamp: datetime,
    body: str,
    headers: dict[str, str] | None = None,
    timeout: float | None = None,
    client: httpx.Client | None = None,
) -> PostResult:
    """POST a signed JSON body once. Never raises for network trouble: the result says it."""
    if problem := header_problem(headers or {}):
        return PostResult(None, problem)  # saved before the rule, or written around it
    try:
        address = check_target(url)
    except UnsafeTargetError as exc:
        return PostResult(None, str(exc))
    url, host, extensions = pinned_request(url, address)
    all_headers = {
        "Content-Type": "application/json",
        "User-Agent": "ContactSource-Webhooks/1.0",
        **(headers or {}),
        **signature_headers(secret, msg_id, timestamp, body),
        **host,
    }
    limits = httpx.Timeout(
        timeout or settings.CALLBACK_READ_TIMEOUT, connect=settings.CALLBACK_CONNECT_TIMEOUT
    )
    try:
        if client is None:
            with httpx.Client(follow_redirects=False, timeout=limits) as own:
                response = own.post(
                    url, content=body.encode(), headers=all_headers, extensions=extensions
                )
        else:
            response = client.post(
                url,
                content=body.encode(),
                headers=all_headers,
                timeout=limits,
                extensions=extensions,
            )
    except httpx.TimeoutException:
        return PostResult(None, "timeout")
    except httpx.HTTPError as exc:
        return PostResult(None, f"{type(exc).__name__}: {exc}"[:500])
    return PostResult(response.status_code, "", response.headers.get("Retry-After"))
