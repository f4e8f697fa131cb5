"""Failed authentications (intake 401/404, the docs page's token form), limited per address and
per source in the shared cache.

Only failures touch the cache, so an accepted intake post costs no cache round trip:
- every failure is counted in two windows (its address, and its source when there is one);
- a failure over the address limit answers 429 and blocks that address in this process until
  the window ends, so its next requests are refused before the token is even looked at, with
  no cache call at all; another process learns of it at that address's next failure there;
- a failure over the source limit answers 429 too, but a source is never blocked before the
  token check: its real vendor, from another address, keeps getting in.
A success does not reset the counts: one valid token must not buy unlimited guesses at others.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from django.conf import settings

from contactsource.rate_limits import Window

# Blocked addresses kept in this process; more than this and the expired ones are dropped (a
# spread-out attack must not grow the table without end).
_MAX_LOCAL_BLOCKS = 10_000
_local_blocks: dict[tuple[str, str], float] = {}
_lock = threading.Lock()


@dataclass(frozen=True)
class AuthFailures:
    """The failures of one door (`intake`, `docs`)."""

    door: str

    def _windows(self, address: str, source_id: int | None) -> list[tuple[Window, bool]]:
        seconds = settings.AUTH_FAILURE_WINDOW_SECONDS
        windows = [
            (
                Window(
                    f"{self.door}-addr", address, settings.AUTH_FAILURE_LIMIT_PER_ADDRESS, seconds
                ),
                True,
            )
        ]
        if source_id is not None:
            limit = settings.AUTH_FAILURE_LIMIT_PER_SOURCE
            windows.append((Window(f"{self.door}-src", str(source_id), limit, seconds), False))
        return windows

    def blocked_here(self, address: str) -> int | None:
        """Seconds left when this process has seen the address over its limit (no cache call)."""
        until = _local_blocks.get((self.door, address))
        if until is None:
            return None
        left = until - time.monotonic()
        if left <= 0:
            _local_blocks.pop((self.door, address), None)
            return None
        return max(1, int(left + 0.999))

    def blocked(self, address: str) -> int | None:
        """Seconds left when the address is over its limit in this or any process (one cache
        read): for a door where a round trip per attempt costs nothing that matters."""
        here = self.blocked_here(address)
        if here is not None:
            return here
        window, _ = self._windows(address, None)[0]
        return window.exceeded()

    def failed(self, address: str, source_id: int | None = None) -> int | None:
        """Count a failure; the Retry-After seconds when it is over a limit, else None."""
        retry_after = None
        for window, is_address in self._windows(address, source_id):
            wait = window.hit()
            if wait is None:
                continue
            retry_after = max(retry_after or 0, wait)
            if is_address:
                self._block_here(address, wait)
        return retry_after

    def _block_here(self, address: str, seconds: int) -> None:
        with _lock:
            if len(_local_blocks) >= _MAX_LOCAL_BLOCKS:
                now = time.monotonic()
                for key in [k for k, until in _local_blocks.items() if until <= now]:
                    del _local_blocks[key]
                if len(_local_blocks) >= _MAX_LOCAL_BLOCKS:
                    _local_blocks.clear()
            _local_blocks[(self.door, address)] = time.monotonic() + seconds


def local_blocks_clear() -> None:
    """Forget this process's blocks (tests clear the shared counters between tests too)."""
    _local_blocks.clear()
