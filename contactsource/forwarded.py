"""The client's address and scheme behind a trusted reverse proxy (docs/deploy.md).

Behind nginx every request's peer is the proxy: the client's address arrives in
`X-Forwarded-For` and the scheme it used in `X-Forwarded-Proto`. Anyone can send those headers,
so they are believed only when the peer itself is one of `TRUSTED_PROXIES`; then `REMOTE_ADDR`
becomes the client's address, and everything that reads it (the intake log's `client_ip`, the
throttles) sees the client, not the proxy. From any other peer both headers are dropped before
Django (`SECURE_PROXY_SSL_HEADER`) or DRF can read them. With no proxy configured (the default,
a direct `gunicorn` or `runserver`) nothing changes: `REMOTE_ADDR` is the peer, and the headers
are not consulted at all (`SECURE_PROXY_SSL_HEADER` is off, DRF's `NUM_PROXIES` is 0).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address

FORWARDED_HEADERS = ("HTTP_X_FORWARDED_FOR", "HTTP_X_FORWARDED_PROTO")


def trusted_networks_parse(values: Iterable[str]) -> tuple[Network, ...]:
    """`TRUSTED_PROXIES` entries (addresses or networks) as networks; a bad entry fails loudly."""
    networks = []
    for value in values:
        try:
            networks.append(ipaddress.ip_network(value.strip(), strict=False))
        except ValueError as exc:
            raise ImproperlyConfigured(
                f"TRUSTED_PROXIES: {value!r} is not an IP address or network ({exc})."
            ) from exc
    return tuple(networks)


@lru_cache(maxsize=8)
def _networks(values: tuple[str, ...]) -> tuple[Network, ...]:
    return trusted_networks_parse(values)


def _address(value: str | None) -> Address | None:
    try:
        address = ipaddress.ip_address((value or "").strip())
    except ValueError:
        return None
    # An IPv4 client seen through an IPv6 socket (::ffff:a.b.c.d) is that IPv4 client.
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _trusted(address: Address, networks: tuple[Network, ...]) -> bool:
    return any(address.version == net.version and address in net for net in networks)


def forwarded_client(meta: dict[str, Any], networks: tuple[Network, ...]) -> Address | None:
    """The client's address from a trusted peer's `X-Forwarded-For`, or None to keep the peer.

    Each proxy appends the address it saw, so the list is read from the right: the first entry
    that is not itself a trusted proxy is the client; entries left of it are the client's own
    claims and worth nothing. An entry that is not an address stops the walk.
    """
    hops = (meta.get("HTTP_X_FORWARDED_FOR") or "").split(",")
    client: Address | None = None
    for hop in reversed(hops):
        address = _address(hop)
        if address is None:
            break
        client = address
        if not _trusted(address, networks):
            break
    return client


def forwarded_apply(meta: dict[str, Any]) -> None:
    networks = _networks(tuple(settings.TRUSTED_PROXIES))
    if not networks:
        return
    peer = _address(meta.get("REMOTE_ADDR"))
    if peer is None or not _trusted(peer, networks):
        # A client talking to us directly: its forwarding headers are its own invention.
        for key in FORWARDED_HEADERS:
            meta.pop(key, None)
        return
    client = forwarded_client(meta, networks)
    if client is not None:
        meta["REMOTE_ADDR"] = str(client)


class TrustedProxyMiddleware:
    """First in MIDDLEWARE: every later layer sees the client's address and scheme."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        forwarded_apply(request.META)
        return self.get_response(request)
