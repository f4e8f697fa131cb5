"""A paired comparison of two checkouts' single intake: both gunicorns up at once on one fresh
bench database, wrk on each in turn (the order alternating), so that both meet the same
machine. On a shared machine whose speed moves by 2x within minutes, runs of `bench.run intake`
taken one after the other cannot separate a change of a few percent; rounds a few seconds apart
can.

    python -m bench.paired BEFORE_DIR AFTER_DIR     # each a checkout with its own .venv

Settings: BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/contactsource_pair,
dropped and re-created), PAIRED_ROUNDS (12), PAIRED_SECONDS (5 per run). The database's schema
must be the same in both checkouts (this checkout's migrations create it).
"""

from __future__ import annotations

import json
import os
import statistics
import sys
from pathlib import Path

from bench import harness
from bench.run import ROOT, bench_stack, recreate_database

DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/contactsource_pair"


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        sys.exit(__doc__)
    roots = {"before": Path(argv[0]).resolve(), "after": Path(argv[1]).resolve()}
    database_url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_DB)
    rounds = int(os.environ.get("PAIRED_ROUNDS", "12"))
    seconds = int(os.environ.get("PAIRED_SECONDS", "5"))
    recreate_database(database_url)
    logs = ROOT / "var" / "bench" / "paired"
    with bench_stack(database_url, logs) as (started, env, _redis):
        from bench import fixtures

        target = fixtures.seed(callback_url="http://127.0.0.1:9/unused")
        ports: dict[str, int | None] = {}
        for side, root in roots.items():
            web = harness.start_gunicorn(env, logs, name=f"gunicorn-{side}", root=root)
            started.append(web)
            ports[side] = web.port
        rps: dict[str, list[float]] = {"before": [], "after": []}
        run = 1_000_000 + int(os.getpid()) % 1000 * 100

        def wrk(side: str, secs: int) -> float:
            nonlocal run
            run += 1
            url = f"http://127.0.0.1:{ports[side]}{target.intake_path}"
            result = harness.run_wrk(url, run=run, token=target.token, seconds=secs, connections=16)
            return float(result["rps"])

        for side in rps:  # warm-up
            wrk(side, 4)
        for i in range(rounds):
            for side in ("before", "after") if i % 2 == 0 else ("after", "before"):
                rps[side].append(wrk(side, seconds))
            print(f"  round {i + 1}: before {rps['before'][-1]:.0f}, after {rps['after'][-1]:.0f}")
    faster = sum(a > b for a, b in zip(rps["after"], rps["before"], strict=True))
    summary = {
        "median_before": round(statistics.median(rps["before"]), 1),
        "median_after": round(statistics.median(rps["after"]), 1),
        "after_faster_rounds": faster,
        "rounds": rounds,
        "runs": rps,
    }
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
