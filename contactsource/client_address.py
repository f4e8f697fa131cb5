"""The client's address, for throttles and lockouts that count per address.

Behind a reverse proxy REMOTE_ADDR is the proxy's, so every client would share one counter (and
one attacker would lock every vendor out). With `TRUSTED_PROXIES=n` the address is the one the
nth proxy from the right appended to X-Forwarded-For; a client can prepend whatever it likes
there, but not past the proxies we run, so only that entry is believed.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_address(request: HttpRequest) -> str:
    remote = request.META.get("REMOTE_ADDR") or ""
    proxies = settings.TRUSTED_PROXIES
    if proxies <= 0:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    forwarded = [part for part in forwarded if part]
    if len(forwarded) < proxies:
        return remote
    candidate = forwarded[-proxies]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote  # not an address: our proxy did not write it


def axes_client_address(request: HttpRequest) -> str:
    """django-axes' AXES_CLIENT_IP_CALLABLE."""
    return client_address(request)
