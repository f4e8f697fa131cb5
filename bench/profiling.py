"""Profile the single intake in-process with pyinstrument (the before/after in benchmarks.md).

Posts distinct contacts through Django's test client (the same view, middleware and database as
under gunicorn, minus the socket), so the profile shows the pipeline's own cost.
"""

from __future__ import annotations

import cProfile
import io
import pstats
import time
from pathlib import Path

from django.db import connection, reset_queries
from django.test import Client
from django.test.utils import CaptureQueriesContext
from pyinstrument import Profiler

from bench import harness
from bench.fixtures import BenchTarget
from bench.pace import contact_body


def profile_intake(
    target: BenchTarget, *, requests: int, first_index: int, out_dir: Path
) -> dict[str, object]:
    client = Client()
    headers = {"token": target.token}

    def post(index: int) -> int:
        response = client.post(
            target.intake_path,
            contact_body(index),
            content_type="application/json",
            headers=headers,
        )
        return response.status_code

    for i in range(50):  # warm caches and connections
        post(first_index + i)
    first_index += 50
    with CaptureQueriesContext(connection) as captured:
        post(first_index)
    statements = [q["sql"] for q in captured.captured_queries]  # read before the reset
    first_index += 1
    reset_queries()

    # Timed without the profiler first (its sampling adds overhead), then profiled.
    # CPU time of this process (the Python side) barely depends on what else the machine runs;
    # wall time does, so both are reported.
    statuses: dict[int, int] = {}
    # The one PostgreSQL backend serving this client: its CPU is the server's side of a post.
    backend = connection.connection.info.backend_pid
    backend_started = harness.cpu_seconds([backend])[backend]
    started, cpu_started = time.perf_counter(), time.process_time()
    for i in range(requests):
        status = post(first_index + i)
        statuses[status] = statuses.get(status, 0) + 1
    elapsed = time.perf_counter() - started
    cpu = time.process_time() - cpu_started
    backend_cpu = harness.cpu_seconds([backend]).get(backend, backend_started) - backend_started
    first_index += requests

    # Wall time per statement kind (Django's debug log times each execute, waits included).
    with CaptureQueriesContext(connection) as timed:
        for i in range(min(requests, 200)):
            post(first_index + i)
    first_index += min(requests, 200)
    per_kind: dict[str, list[float]] = {}
    for query in timed.captured_queries:
        kind = " ".join(query["sql"].split())[:48]
        per_kind.setdefault(kind, []).append(float(query["time"]) * 1000)
    statement_ms = {
        kind: {"count": len(times), "mean_ms": round(sum(times) / len(times), 3)}
        for kind, times in sorted(per_kind.items(), key=lambda kv: -sum(kv[1]))
    }

    profiler = Profiler(interval=0.0005)
    profiler.start()
    for i in range(requests):
        post(first_index + i)
    profiler.stop()

    first_index += requests

    # CPU time only (waits on PostgreSQL and Redis left out): where the Python side spends it.
    cpu_profile = cProfile.Profile(time.process_time)
    cpu_profile.enable()
    for i in range(requests):
        post(first_index + i)
    cpu_profile.disable()

    out_dir.mkdir(parents=True, exist_ok=True)
    report = io.StringIO()
    stats = pstats.Stats(cpu_profile, stream=report).strip_dirs()
    stats.sort_stats("cumulative").print_stats(60)
    stats.sort_stats("tottime").print_stats(40)
    (out_dir / "profile-cpu.txt").write_text(report.getvalue())
    text = profiler.output_text(unicode=False, color=False, show_all=False)
    (out_dir / "profile.txt").write_text(text)
    (out_dir / "profile.html").write_text(profiler.output_html())
    (out_dir / "profile-queries.sql").write_text("\n".join(statements) + "\n")
    return {
        "requests": requests,
        "statuses": statuses,
        "ms_per_request": round(elapsed / requests * 1000, 3),
        "cpu_ms_per_request": round(cpu / requests * 1000, 3),
        "db_cpu_ms_per_request": round(backend_cpu / requests * 1000, 3),
        "queries_per_request": len(statements),
        "statement_ms": statement_ms,
        "profile": str(out_dir / "profile.txt"),
    }
