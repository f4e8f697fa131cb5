"""Exponential backoff for outbound retries (CRM callbacks, API-change notifications)."""

from __future__ import annotations

import random

# 2**30 times any base is past every cap; a bigger exponent would only build a huge int.
_MAX_EXPONENT = 30


def backoff_delay(attempt: int, *, base: float, cap: float, jitter: float = 0.0) -> float:
    """Seconds to wait after failed attempt number `attempt` (the first is 1).

    `base`, then doubling per attempt, capped at `cap`; with `jitter` (0.25 for ±25 %) the
    delay is scaled by a random factor so the retries of a burst spread out.
    """
    delay = min(base * 2 ** min(max(attempt - 1, 0), _MAX_EXPONENT), cap)
    if jitter:
        delay *= random.uniform(1 - jitter, 1 + jitter)
    return delay
