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

    def post(index: int, path: str = target.intake_path) -> int:
        response = client.post(
            path, contact_body(index), content_type="application/json", headers=headers
        )
        return response.status_code

    def wal_position() -> int:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_wal_lsn_diff(pg_current_wal_insert_lsn(), '0/0')")
            return int(cursor.fetchone()[0])

    def cpu_per_post(path: str, first: int) -> tuple[float, float, float, float, dict[int, int]]:
        """Wall, this process's CPU and its backend's CPU per post, in ms; the WAL bytes per
        post (the database's write work, the same from run to run but for the full-page
        images after a checkpoint, which the lower of two turns leaves out); the statuses."""
        statuses: dict[int, int] = {}
        backend = connection.connection.info.backend_pid
        backend_started = harness.cpu_seconds([backend])[backend]
        wal_started = wal_position()
        started, cpu_started = time.perf_counter(), time.process_time()
        for i in range(requests):
            status = post(first + i, path)
            statuses[status] = statuses.get(status, 0) + 1
        elapsed = time.perf_counter() - started
        cpu = time.process_time() - cpu_started
        backend_cpu = harness.cpu_seconds([backend]).get(backend, backend_started)
        wal = (wal_position() - wal_started) / requests
        per = 1000 / requests
        return elapsed * per, cpu * per, (backend_cpu - backend_started) * per, wal, statuses

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
    # The one PostgreSQL backend serving this client is the server's side of a post. The bare
    # view (the intake bench's baseline) is timed alike, in turn with the full one: the ratio of
    # CPU per post is the in-process counterpart of the wrk runs' ratio.
    for i in range(50):
        post(first_index + i, target.bare_path)
    first_index += 50
    sides: dict[str, list[tuple[float, float, float]]] = {"full": [], "bare": []}
    wal: dict[str, list[float]] = {"full": [], "bare": []}
    statuses: dict[int, int] = {}
    for _ in range(2):
        for side, path in (("full", target.intake_path), ("bare", target.bare_path)):
            wall, cpu, backend_cpu, wal_bytes, seen = cpu_per_post(path, first_index)
            first_index += requests
            sides[side].append((wall, cpu, backend_cpu))
            wal[side].append(wal_bytes)
            if side == "full":
                for status, count in seen.items():
                    statuses[status] = statuses.get(status, 0) + count
    # The lower of the two turns: the one less disturbed by the rest of the machine.
    full = min(sides["full"], key=lambda t: t[1] + t[2])
    bare = min(sides["bare"], key=lambda t: t[1] + t[2])

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
    cpu_profile.dump_stats(out_dir / "profile-cpu.prof")  # for pstats' callers and callees
    text = profiler.output_text(unicode=False, color=False, show_all=False)
    (out_dir / "profile.txt").write_text(text)
    (out_dir / "profile.html").write_text(profiler.output_html())
    (out_dir / "profile-queries.sql").write_text("\n".join(statements) + "\n")
    return {
        "requests": requests,
        "statuses": statuses,
        "ms_per_request": round(full[0], 3),
        "cpu_ms_per_request": round(full[1], 3),
        "db_cpu_ms_per_request": round(full[2], 3),
        "bare_cpu_ms_per_request": round(bare[1], 3),
        "bare_db_cpu_ms_per_request": round(bare[2], 3),
        "cpu_ratio": round((bare[1] + bare[2]) / (full[1] + full[2]), 3),
        "wal_bytes_per_request": round(min(wal["full"])),
        "bare_wal_bytes_per_request": round(min(wal["bare"])),
        "queries_per_request": len(statements),
        "statement_ms": statement_ms,
        "profile": str(out_dir / "profile.txt"),
    }
