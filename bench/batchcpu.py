"""The batch intake's Python CPU, in process: 1,000-contact batches through Django's test client.

    DATABASE_URL=postgres://…/<a migrated database> SECRET_KEY=x DEBUG=false \\
        ALLOWED_HOSTS=testserver python -m bench.batchcpu

It seeds the bench campaign (bench.fixtures) in that database, posts two warm-up batches, then
BENCH_BATCHES (10) timed ones, and prints the median, min and max CPU time (`process_time`) and
wall time per batch, and the CPU time of the PostgreSQL backend serving it (from /proc, so the
database must run on this machine). Every contact is new (the first index comes from the
clock, in ms), so runs on one database minutes apart do the same work: two sides of a change can
take turns on it. BENCH_PROFILE=1 adds a cProfile of three more batches. `make bench-batch`
measures the batch as a client sees it.
"""

from __future__ import annotations

import cProfile
import io
import os
import pstats
import statistics
import time


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "contactsource.settings")
    import django

    django.setup()
    from django.db import connection
    from django.test import Client

    from bench import fixtures, harness
    from bench.steps import batch_body

    target = fixtures.seed(callback_url="http://127.0.0.1:9/unused")
    client = Client()
    last: dict[str, int] = {}

    def post(first: int) -> None:
        response = client.post(
            target.batch_path,
            batch_body(first, 1000),
            content_type="application/json",
            headers={"token": target.token},
        )
        assert response.status_code == 200, response.content[:300]
        last.clear()
        for item in response.json()["results"]:
            last[item["status"]] = last.get(item["status"], 0) + 1

    first = int(time.time() * 1000) * 10 % 10**9
    post(first)
    post(first + 1000)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (backend,) = cursor.fetchone()
    cpus, walls, database = [], [], []
    for n in range(int(os.environ.get("BENCH_BATCHES", "10"))):
        began, cpu = time.perf_counter(), time.process_time()
        db_cpu = harness.cpu_seconds([backend])[backend]
        post(first + (n + 2) * 1000)
        cpus.append(time.process_time() - cpu)
        walls.append(time.perf_counter() - began)
        database.append(harness.cpu_seconds([backend])[backend] - db_cpu)
    print(f"last batch's answers: {dict(sorted(last.items()))}")
    print(
        f"CPU per batch: median {statistics.median(cpus):.3f} s, min {min(cpus):.3f}, "
        f"max {max(cpus):.3f}; wall: median {statistics.median(walls):.3f} s, "
        f"min {min(walls):.3f}, max {max(walls):.3f} ({len(cpus)} batches); PostgreSQL backend "
        f"CPU: median {statistics.median(database):.3f} s"
    )
    if os.environ.get("BENCH_PROFILE"):
        profile = cProfile.Profile(time.process_time)
        profile.enable()
        for n in range(3):
            post(first + 500_000 + n * 1000)
        profile.disable()
        out = io.StringIO()
        stats = pstats.Stats(profile, stream=out).strip_dirs()
        stats.sort_stats("tottime").print_stats(25)
        stats.sort_stats("cumulative").print_stats(45)
        print(out.getvalue())


if __name__ == "__main__":
    main()
