"""Stand-in CRMs for callback tests: names under `.test` (RFC 6761) resolve to this machine.

A delivery resolves its target's name, checks the address and connects to that address, with
the name in the Host header (contactsource/webhooks.py). So a respx route for a stand-in CRM
matches the checked address and the Host header, as a real connection would carry them.
"""

from __future__ import annotations

import socket
from typing import Any

import pytest
import respx

from contactsource.webhooks import pinned_request

RECEIVER_ADDRESS = "127.0.0.1"


def dot_test_names_resolve_here(monkeypatch: pytest.MonkeyPatch) -> None:
    """Resolve `*.test` names to RECEIVER_ADDRESS; every other name as the system does."""
    real_getaddrinfo = socket.getaddrinfo

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> list[Any]:
        if isinstance(host, str) and host.rstrip(".").lower().endswith(".test"):
            address = (RECEIVER_ADDRESS, int(port or 0))
            return [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", address)]
        return list(real_getaddrinfo(host, port, *args, **kwargs))

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


def callback_route(url: str) -> respx.Route:
    """The respx route a POST to this stand-in CRM's URL arrives at."""
    pinned, host, _extensions = pinned_request(url, RECEIVER_ADDRESS)
    return respx.post(pinned, headers=host)
