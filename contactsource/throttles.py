"""REST API throttles in the shared cache: per user here, per endpoint key in subscriptions.

DRF's own classes keep a list of timestamps per client (a read and a write per request, so
parallel requests in several processes overwrite each other's counts) and read their rates
once at import. These count in a fixed window with an atomic increment
(contactsource/rate_limits.py) and read the rates from settings on every request.
Over the rate DRF answers 429 with `Retry-After` (the seconds until the window ends).
"""

from __future__ import annotations

from typing import Any

from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle

from contactsource.rate_limits import Window

PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_rate(rate: object) -> tuple[int, int] | None:
    """'600/min' as (600, 60); None (no limit) as None."""
    if not rate:
        return None
    number, _, period = str(rate).partition("/")
    return int(number), PERIODS[period.strip()[0]]


class WindowThrottle(BaseThrottle):
    """Counts `principal(request)` in the scope's window; None is not throttled."""

    scope = ""

    def __init__(self) -> None:
        self._wait: int | None = None

    def principal(self, request: Request) -> str | None:
        raise NotImplementedError

    def allow_request(self, request: Request, view: Any) -> bool:
        rate = parse_rate(api_settings.DEFAULT_THROTTLE_RATES.get(self.scope))
        ident = self.principal(request)
        if rate is None or ident is None:
            return True
        limit, seconds = rate
        self._wait = Window(self.scope, ident, limit, seconds).hit()
        return self._wait is None

    def wait(self) -> float | None:
        return self._wait


class UserThrottle(WindowThrottle):
    """A user (API token or admin session) by id; an unauthenticated client by address.

    A request authenticated by something that is not a user (a callback endpoint's key) has
    its own throttle (subscriptions/throttles.py) and is not counted here.
    """

    scope = "user"

    def principal(self, request: Request) -> str | None:
        if request.user and request.user.is_authenticated:
            return f"u{request.user.pk}"
        if request.auth is not None:
            return None
        # REMOTE_ADDR, never DRF's get_ident: that believes an X-Forwarded-For as sent, which
        # anyone can vary to get a fresh count (the client's address behind a proxy is the
        # proxy's business: docs/deploy.md).
        return f"a{request.META.get('REMOTE_ADDR', '')}"
