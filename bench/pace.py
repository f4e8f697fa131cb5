"""A fixed-rate (open-loop) load generator: latency at a given load, not at saturation.

Debian's wrk has no rate limit (that is wrk2's `-R`). Request i is due at start + i/rate; a pool
of keep-alive connections sends each when due, and its latency is measured from the moment it
was *due*, so a stalled server shows up in the tail instead of slowing the sender down
(coordinated omission, corrected as wrk2 does). The stdlib client costs ~0.2 ms of CPU per
request, a few percent of a core at the rates measured here.
"""

from __future__ import annotations

import http.client
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

# Contact indexes per run (a wrk run, a prefill, a paced run, an import), as bench/intake.lua
# counts them: the phone numbers repeat after 128 runs of this size.
SLOT = 1_000_000


def contact_body(index: int) -> bytes:
    """The same distinct-contact body as bench/intake.lua, for an index no wrk run uses."""
    npas = (212, 305, 415, 512, 617, 702, 727, 813, 202, 303, 404, 503, 602, 704, 801, 919)
    npa = npas[(index // 8_000_000) % len(npas)]
    nxx = 200 + (index // 10_000) % 800
    body = {
        "email": f"p{index}@bench.example.com",
        "phone": f"{npa}{nxx}{index % 10_000:04d}",
        "firstname": "Bench",
        "zipcode": "33602",
    }
    return json.dumps(body).encode()


def percentile(values: list[float], pct: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


@dataclass
class PaceResult:
    rate: float
    seconds: float
    sent: int
    statuses: dict[int, int]
    errors: int
    achieved_rps: float
    latency_ms: dict[str, float]  # from the moment each request was due
    service_ms: dict[str, float]  # from the moment it was sent

    def as_dict(self) -> dict[str, object]:
        return dict(self.__dict__)


def _summary(values: list[float]) -> dict[str, float]:
    return {f"p{p}": round(percentile(values, p) * 1000, 2) for p in (50, 95, 99, 99.9)} | {
        "max": round(max(values, default=0.0) * 1000, 2)
    }


def run_paced(
    *,
    port: int,
    path: str,
    headers: dict[str, str],
    rate: float,
    seconds: float,
    first_index: int,
    connections: int = 32,
    body_for: Callable[[int], bytes] = contact_body,
) -> PaceResult:
    total = int(rate * seconds)
    lock = threading.Lock()
    next_index = [0]
    latencies: list[float] = []
    services: list[float] = []
    statuses: dict[int, int] = {}
    errors = [0]
    start = time.perf_counter() + 0.2

    def worker() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        while True:
            with lock:
                i = next_index[0]
                next_index[0] += 1
            if i >= total:
                break
            due = start + i / rate
            delay = due - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            sent = time.perf_counter()
            try:
                conn.request("POST", path, body=body_for(first_index + i), headers=headers)
                response = conn.getresponse()
                response.read()
                status = response.status
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                with lock:
                    errors[0] += 1
                continue
            finished = time.perf_counter()
            with lock:
                latencies.append(finished - due)
                services.append(finished - sent)
                statuses[status] = statuses.get(status, 0) + 1
        conn.close()

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(seconds * 3 + 60)
    elapsed = time.perf_counter() - start
    return PaceResult(
        rate=rate,
        seconds=seconds,
        sent=len(latencies) + errors[0],
        statuses=statuses,
        errors=errors[0],
        achieved_rps=round(len(latencies) / elapsed, 1),
        latency_ms=_summary(latencies),
        service_ms=_summary(services),
    )
