"""`make bench`: every benchmark of DESIGN §11 against its own database, results to var/bench/.

    python -m bench.run [step ...]      steps: intake batch callbacks profile admin import
                                        (none: all of them, in that order)

Settings (environment): BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/
contactsource_bench; dropped and re-created unless BENCH_KEEP_DB=1), BENCH_SECONDS (each wrk run,
default 20), BENCH_ROUNDS (the intake step's interleaved bare/full rounds, default 3),
BENCH_LATENCY_RUNS (its interleaved runs at half load per side, default 3),
BENCH_CONNECTIONS (wrk connections, default 16), BENCH_ADMIN_EVENTS (default 1,000,000),
BENCH_IMPORT_ROWS (default 100,000). Figures go to var/bench/<date>/results.json and
results.md; docs/benchmarks.md quotes them with the command, machine and date.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import shutil
import subprocess
import sys
import time
import traceback
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from bench import harness

ROOT = Path(__file__).resolve().parent.parent
STEPS = ("intake", "batch", "callbacks", "profile", "admin", "import")
DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/contactsource_bench"


def bench_env(database_url: str, broker_url: str) -> dict[str, str]:
    """The environment of every process the benchmark starts (and of this one)."""
    env = dict(os.environ)
    env.update(
        DEBUG="false",
        SECRET_KEY="bench-only-not-secret",
        ALLOWED_HOSTS="127.0.0.1,localhost,testserver",
        DATABASE_URL=database_url,
        CELERY_BROKER_URL=broker_url,
        CALLBACK_ALLOW_PRIVATE="true",  # the receiver is on this machine
        BENCH_ENDPOINTS="true",
        LOG_LEVEL="WARNING",
        CONN_MAX_AGE="60",
        PYTHONUNBUFFERED="1",
        DJANGO_SETTINGS_MODULE="contactsource.settings",
    )
    return env


@contextlib.contextmanager
def bench_stack(
    database_url: str, logs: Path
) -> Iterator[tuple[list[harness.Service], dict[str, str], harness.Service]]:
    """Redis on a free port, the benchmark's environment (in this process too), the database
    migrated and Django set up; yields the services started (the caller adds its own, stopped
    with them), the environment and Redis."""
    with harness.services() as started:
        redis = harness.start_redis(logs)
        started.append(redis)
        env = bench_env(database_url, f"redis://127.0.0.1:{redis.port}/0")
        os.environ.update(env)
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput", "-v0"],
            cwd=ROOT,
            env=env,
            check=True,
        )
        import django

        django.setup()
        yield started, env, redis


def recreate_database(url: str) -> None:
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin_url = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def cpu_speed_ms() -> float:
    """A fixed pure-Python loop, timed (best of three, CPU time). The machine's speed changes
    under us (a shared virtual machine: the same loop has taken 330 and 580 ms within the hour),
    so each run records it at its start and end: compare runs only at similar values."""
    best = float("inf")
    for _ in range(3):
        started, total = time.process_time(), 0
        for k in range(3_000_000):
            total += k * k
        best = min(best, time.process_time() - started)
    return round(best * 1000, 1)


def machine() -> dict[str, Any]:
    cpu = ""
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem_kib = int(Path("/proc/meminfo").read_text().split()[1])
    wrk = subprocess.run(["wrk", "--version"], capture_output=True, text=True, check=False)
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(mem_kib / 1024 / 1024, 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "wrk": (wrk.stdout or wrk.stderr).splitlines()[0].split(" Copyright")[0],
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        "cpu_speed_ms_at_start": cpu_speed_ms(),
    }


def require_tools() -> None:
    missing = [tool for tool in ("wrk", "redis-server") if shutil.which(tool) is None]
    if missing:
        sys.exit(
            f"bench: missing {', '.join(missing)}; install them (Debian: "
            f"apt-get install -y {' '.join(missing)}) or run `make bench`, which does."
        )


def main(argv: list[str]) -> int:
    steps = argv or list(STEPS)
    unknown = set(steps) - set(STEPS)
    if unknown:
        sys.exit(f"bench: unknown step(s) {', '.join(sorted(unknown))}; choose from {STEPS}")
    require_tools()

    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H%M%SZ")
    out = ROOT / "var" / "bench" / stamp
    logs = out / "logs"
    logs.mkdir(parents=True)
    database_url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_DB)
    if os.environ.get("BENCH_KEEP_DB") != "1":
        recreate_database(database_url)

    with bench_stack(database_url, logs) as (_started, env, redis):
        from bench import steps as bench_steps

        results: dict[str, Any] = {
            "date": datetime.now(UTC).isoformat(timespec="seconds"),
            "command": "make bench" if not argv else f"python -m bench.run {' '.join(argv)}",
            "machine": machine(),
            "gunicorn": harness.gunicorn_description(),
        }
        ctx = bench_steps.Context(env=env, out=out, logs=logs, redis=redis)
        for step in steps:
            started_at = time.monotonic()
            print(f"bench: {step} …", flush=True)
            try:
                results[step] = getattr(bench_steps, f"step_{step}")(ctx)
            except Exception as exc:  # one broken step must not lose the others' figures
                traceback.print_exc()
                results[step] = {"error": f"{type(exc).__name__}: {exc}"[:500]}
            results[step]["step_seconds"] = round(time.monotonic() - started_at, 1)
            (out / "results.json").write_text(json.dumps(results, indent=2, default=str))
        results["machine"]["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
        results["machine"]["cpu_speed_ms_at_end"] = cpu_speed_ms()

    (out / "results.json").write_text(json.dumps(results, indent=2, default=str))
    from bench.report import markdown

    (out / "results.md").write_text(markdown(results))
    latest = ROOT / "var" / "bench" / "latest"
    latest.unlink(missing_ok=True)
    latest.symlink_to(out.name)
    print((out / "results.md").read_text())
    print(f"bench: results in {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
