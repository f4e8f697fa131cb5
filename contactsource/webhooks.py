"""Outbound signed HTTP: Standard Webhooks signatures, address checks, no redirects, timeouts.

Shared by CRM callbacks (subscriptions) and source change notifications (sources).
"""

from __future__ import annotations

import base64
import ipaddress
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


def webhook_secret_generate() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


def signature_headers(secret: str, msg_id: str, timestamp: datetime, body: str) -> dict[str, str]:
    signature = Webhook(secret).sign(msg_id=msg_id, timestamp=timestamp, data=body)
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(timestamp.timestamp())),
        "webhook-signature": signature,
    }


def _is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    return not (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
    )


def check_target(url: str) -> str | None:
    """Refuse targets inside our network unless CALLBACK_ALLOW_PRIVATE is set.

    Returns the checked address the request must go to, so that a name cannot resolve to a
    public address for the check and to a private one for the connection (DNS rebinding);
    None when private targets are allowed (the HTTP client resolves the name itself).
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UnsafeTargetError("Only absolute http and https URLs can be called.")
    if settings.CALLBACK_ALLOW_PRIVATE:
        return None
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or 443, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError):
        raise UnsafeTargetError(f"The host {parts.hostname} does not resolve.") from None
    for info in infos:
        if not _is_public(str(info[4][0])):
            raise UnsafeTargetError(
                f"The host {parts.hostname} resolves to a private or loopback address; "
                "set CALLBACK_ALLOW_PRIVATE=true to allow it."
            )
    return str(infos[0][4][0])


def pinned_request(url: str, address: str | None) -> tuple[str, dict[str, str], dict[str, Any]]:
    """The URL to connect to, extra headers and httpx extensions for a checked address: the
    address in the URL, the name in the Host header and in TLS (SNI and the certificate check)."""
    if address is None:
        return url, {}, {}
    parts = urlsplit(url)
    host = f"[{address}]" if ":" in address else address
    userinfo = parts.netloc.rpartition("@")[0]
    port = f":{parts.port}" if parts.port else ""
    netloc = f"{userinfo}@{host}{port}" if userinfo else f"{host}{port}"
    name = parts.hostname or ""
    extensions: dict[str, Any] = {"sni_hostname": name} if parts.scheme == "https" else {}
    return urlunsplit(parts._replace(netloc=netloc)), {"Host": f"{name}{port}"}, extensions


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
