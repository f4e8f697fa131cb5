"""The benchmark steps (bench/run.py runs them in order; each returns its figures)."""

from __future__ import annotations

import http.client
import json
import os
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from bench import fixtures, harness
from bench.pace import SLOT, contact_body, run_paced

R = TypeVar("R")


@dataclass
class Context:
    env: dict[str, str]
    out: Path
    logs: Path
    redis: harness.Service
    # Slots differ from run to run (by the minute), so a kept database (BENCH_KEEP_DB=1) never
    # sees an identity twice.
    next_slot: int = field(default_factory=lambda: int(time.time()) // 60 % 100_000 * 20)
    receiver_url: str = "http://127.0.0.1:9/unused"

    def slot(self) -> int:
        self.next_slot += 1
        return self.next_slot - 1

    def target(self) -> fixtures.BenchTarget:
        return fixtures.seed(callback_url=self.receiver_url)


def _int_env(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def median_run(runs: list[R], by: Callable[[R], float]) -> R:
    """The run with the median figure `by` gives (its other figures come with it; of an even
    number, the upper of the two middle runs)."""
    return sorted(runs, key=by)[len(runs) // 2]


def step_intake(ctx: Context) -> dict[str, Any]:
    """Full pipeline vs the bare view: wrk, interleaved bare/full x3 (BENCH_ROUNDS), median;
    then latency at half of each side's maximum with the fixed-rate generator, x3 interleaved
    (BENCH_LATENCY_RUNS), the median run by p99. Each round's own
    full/bare ratio is kept too: the two runs of a round are seconds apart, so they meet the
    same machine, where the medians may come from different minutes."""
    seconds = _int_env("BENCH_SECONDS", 20)
    rounds = _int_env("BENCH_ROUNDS", 3)
    connections = _int_env("BENCH_CONNECTIONS", 16)
    target = ctx.target()
    fixtures.truncate_intake()
    _prefill(target, ctx.slot() * SLOT)
    paths = {"bare": target.bare_path, "full": target.intake_path}
    runs: dict[str, list[dict[str, float]]] = {"bare": [], "full": []}
    with harness.services() as started, fixtures.Autoanalyze() as analyze:
        web = harness.start_gunicorn(ctx.env, ctx.logs, name="gunicorn-intake")
        started.append(web)
        base = f"http://127.0.0.1:{web.port}"
        for side in ("bare", "full"):  # warm-up: imports, connections, caches
            harness.run_wrk(
                base + paths[side],
                run=ctx.slot(),
                token=target.token,
                seconds=5,
                connections=connections,
            )
        for _ in range(rounds):
            for side in ("bare", "full"):
                result = _wrk_with_cpu(
                    web,
                    base + paths[side],
                    run=ctx.slot(),
                    token=target.token,
                    seconds=seconds,
                    connections=connections,
                )
                runs[side].append(result)
                web.sample_memory()
                print(
                    f"  {side}: {result['rps']:.0f} req/s, p99 {result['p99_ms']:.1f} ms, "
                    f"CPU ms per request: web {result['web_cpu_ms']}, "
                    f"database {result['db_cpu_ms']}, wrk {result['wrk_cpu_ms']}"
                )
        median = {side: median_run(runs[side], lambda r: r["rps"]) for side in runs}
        round_ratios = [
            round(f["rps"] / b["rps"], 3) for b, f in zip(runs["bare"], runs["full"], strict=True)
        ]
        # Without the bench's own ANALYZE every 5 s (Autoanalyze.paused says why).
        with analyze.paused():
            half_load, half_load_p99s = _half_load(web, target, paths, median, ctx, seconds)
        web.sample_memory()
        memory = web.memory_report()
    return {
        "seconds_per_run": seconds,
        "connections": connections,
        "runs": runs,
        "median": median,
        "ratio": round(median["full"]["rps"] / median["bare"]["rps"], 3),
        "round_ratios": round_ratios,
        "round_ratio_median": round(statistics.median(round_ratios), 3),
        "half_load": half_load,
        "half_load_p99s": half_load_p99s,
        "web_memory": memory,
        "counts": fixtures.counts(),
    }


def _half_load(
    web: harness.Service,
    target: fixtures.BenchTarget,
    paths: dict[str, str],
    median: dict[str, dict[str, float]],
    ctx: Context,
    seconds: int,
) -> tuple[dict[str, dict[str, Any]], dict[str, list[float]]]:
    """Latency at half of each side's median maximum, BENCH_LATENCY_RUNS times per side,
    interleaved: one stall of this shared machine decides a single run's p99. Returns the run
    with the median p99 per side, and every run's p99."""
    runs: dict[str, list[dict[str, Any]]] = {"bare": [], "full": []}
    for _ in range(_int_env("BENCH_LATENCY_RUNS", 3)):
        for side in ("bare", "full"):
            rate = round(median[side]["rps"] / 2, 1)
            paced = run_paced(
                port=web.port or 0,
                path=paths[side],
                headers={"Content-Type": "application/json", "token": target.token},
                rate=rate,
                seconds=max(10, seconds),
                first_index=ctx.slot() * SLOT,
            )
            runs[side].append(paced.as_dict())
            print(f"  {side} at {rate} req/s: p99 {paced.latency_ms['p99']} ms")
    chosen = {
        side: median_run(done, lambda h: h["latency_ms"]["p99"]) for side, done in runs.items()
    }
    p99s = {side: [h["latency_ms"]["p99"] for h in done] for side, done in runs.items()}
    return chosen, p99s


def _wrk_with_cpu(web: harness.Service, url: str, **wrk: Any) -> dict[str, float]:
    """A wrk run, with the CPU each side spent per request: the web's processes, the database
    backends serving them, and wrk itself. Milliseconds of CPU barely depend on what else the
    machine runs (requests per second do), so they say where a request's cost goes."""
    web_pids = harness.descendants(web.process.pid)
    web_before = harness.cpu_seconds(web_pids)
    with fixtures.BackendCpu() as backends:
        result = harness.run_wrk(url, **wrk)
    web_after = harness.cpu_seconds(web_pids)
    requests = max(1, int(result["requests"]))
    result["web_cpu_ms"] = round(harness.cpu_spent(web_before, web_after) * 1000 / requests, 2)
    result["db_cpu_ms"] = round(backends.spent * 1000 / requests, 2)
    result["wrk_cpu_ms"] = round(result.pop("wrk_cpu_s") * 1000 / requests, 2)
    return result


PREFILL_CONTACTS = 30_000


def _prefill(target: fixtures.BenchTarget, first: int) -> int:
    """Rows already in the intake's tables, as in a database that has been in use, analyzed
    before the server starts; returns the next free contact index.

    Steps used to start from empty tables and measure while filling them, a state no live
    database is in: plans made from the statistics of empty tables differ from production's
    (docs/benchmarks.md, "Database state", says what this did and did not change).
    """
    from django.test import Client

    from ingest.models import Contact

    client = Client()
    while Contact.objects.count() < PREFILL_CONTACTS:
        response = client.post(
            target.batch_path,
            batch_body(first, 1000),
            content_type="application/json",
            headers={"token": target.token},
        )
        if response.status_code != 200:
            raise RuntimeError(f"prefill batch answered {response.status_code}")
        first += 1000
    fixtures.rolling_caps_aged(target)
    fixtures.analyze()
    return first


def _post_json(port: int, path: str, body: bytes, token: str) -> tuple[int, dict[str, Any]]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=900)
    try:
        conn.request(
            "POST", path, body=body, headers={"Content-Type": "application/json", "token": token}
        )
        response = conn.getresponse()
        return response.status, json.loads(response.read())
    finally:
        conn.close()


def batch_body(first_index: int, size: int) -> bytes:
    contacts = [json.loads(contact_body(first_index + i)) for i in range(size)]
    return json.dumps({"contacts": contacts}).encode()


def step_batch(ctx: Context) -> dict[str, Any]:
    """1,000-contact batches, one after another: contacts per second."""
    batches, size = _int_env("BENCH_BATCHES", 10), 1000
    target = ctx.target()
    first = _prefill(target, ctx.slot() * SLOT)
    timings: list[float] = []
    statuses: dict[str, int] = {}
    with harness.services() as started, fixtures.Autoanalyze():
        web = harness.start_gunicorn(ctx.env, ctx.logs, name="gunicorn-batch")
        started.append(web)
        _post_json(web.port or 0, target.batch_path, batch_body(first, 50), target.token)
        first += 50
        for n in range(batches):
            body = batch_body(first + n * size, size)
            began = time.perf_counter()
            status, answer = _post_json(web.port or 0, target.batch_path, body, target.token)
            timings.append(time.perf_counter() - began)
            if status != 200:
                raise RuntimeError(f"batch answered {status}: {str(answer)[:300]}")
            for item in answer["results"]:
                statuses[item["status"]] = statuses.get(item["status"], 0) + 1
            web.sample_memory()
        memory = web.memory_report()
    median = statistics.median(timings)
    return {
        "batches": batches,
        "batch_size": size,
        "seconds_per_batch": {
            "median": round(median, 3),
            "min": round(min(timings), 3),
            "max": round(max(timings), 3),
        },
        "contacts_per_second": round(size / median, 1),
        "item_statuses": statuses,
        "web_memory": memory,
    }


def step_profile(ctx: Context) -> dict[str, Any]:
    from bench.profiling import profile_intake

    requests = _int_env("BENCH_PROFILE_REQUESTS", 500)
    target = ctx.target()
    # As the intake step: tables in use and analyzed, so the server's plans (and its CPU per
    # post) are production's, not those of empty tables.
    fixtures.truncate_intake()
    first = _prefill(target, ctx.slot() * SLOT)
    return profile_intake(target, requests=requests, first_index=first, out_dir=ctx.out)


def step_callbacks(ctx: Context) -> dict[str, Any]:
    from bench.callbacks import step_callbacks as run_callbacks

    return run_callbacks(ctx)


def step_import(ctx: Context) -> dict[str, Any]:
    from bench.admin_import import step_import as run_import

    return run_import(ctx)


def step_admin(ctx: Context) -> dict[str, Any]:
    from bench.admin_import import step_admin as run_admin

    return run_admin(ctx)
