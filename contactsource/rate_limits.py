"""Fixed-window counters in the shared cache: API throttles and failed-authentication limits.

The counter lives in the default cache (Redis outside `make run`), so a limit holds across every
web process; Redis' INCR is atomic, so parallel requests cannot lose counts as a read-modify-
write list would. A window is a fixed slice of time (`now // window`), so at a boundary a
client may get up to twice the limit in one window's length: simple, bounded and documented.

A cache that is down must not take the intake or the API down with it: counting then fails
open (the request goes on as if under the limit) and a warning is logged.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass

from django.core.cache import cache

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Window:
    """One counter: `limit` hits per `seconds`, for one scope and one identity."""

    scope: str
    ident: str
    limit: int
    seconds: int

    def _slot(self, now: float) -> tuple[str, float]:
        number = int(now // self.seconds)
        return f"rl:{self.scope}:{self.ident}:{number}", (number + 1) * self.seconds

    def hit(self, now: float | None = None) -> int | None:
        """Count one hit; the seconds until the window ends when this hit is over the limit."""
        now = time.time() if now is None else now
        key, ends = self._slot(now)
        try:
            count = _increment(key, timeout=math.ceil(ends - now) + 1)
        except Exception:
            logger.warning("rate limit %s not counted: cache unavailable", self.scope)
            return None
        return _retry_after(ends, now) if count > self.limit else None

    def exceeded(self, now: float | None = None) -> int | None:
        """Without counting: the seconds until the window ends when the limit is already used."""
        now = time.time() if now is None else now
        key, ends = self._slot(now)
        try:
            count = cache.get(key, 0)
        except Exception:
            logger.warning("rate limit %s not read: cache unavailable", self.scope)
            return None
        return _retry_after(ends, now) if count >= self.limit else None


def _increment(key: str, *, timeout: int) -> int:
    try:
        return cache.incr(key)
    except ValueError:
        # The first hit of the window; another process may add it between our two calls.
        if cache.add(key, 1, timeout=timeout):
            return 1
        return cache.incr(key)


def _retry_after(ends: float, now: float) -> int:
    return max(1, math.ceil(ends - now))
