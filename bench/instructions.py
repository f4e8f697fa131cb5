"""Python's own instructions per single post, counted by callgrind: nearly the same for the same
code and data whatever else the machine does, so a change of a tenth shows where requests per
second (which move by 2x on this shared machine) cannot. Not exactly the same: the posts wait
for PostgreSQL, and how often psycopg's wait loop turns depends on when each answer arrives;
the same code gave counts up to 5 % apart (docs/benchmarks.md, session 6), so a step of a few
percent needs several runs.

    python -m bench.instructions [CHECKOUT ...]       # each a checkout with its own .venv

For each checkout (default: this one): a bench database (BENCH_DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/contactsource_instr, re-created and migrated by that
checkout) with the intake bench's campaign and 30,000 contacts already in, as `bench.run
intake` has; then, twice, `INSTR_FEW` (10) and `INSTR_MANY` (60) distinct posts through
Django's test client in a process under `valgrind --tool=callgrind`, each after the same
truncate and prefill. The difference of the two counts divided by the difference of the posts
is the instructions of one post, start-up left out. Only the client's user-space
instructions are counted (PostgreSQL's are not: see the profile step's backend CPU).
`INSTR_BARE=1` counts the bare view's instead. About 4 minutes per checkout.
"""

from __future__ import annotations

import gc
import os
import subprocess
import sys
import tempfile
from pathlib import Path

DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/contactsource_instr"
FIRST = 5_000_000  # contact indexes of the counted posts, past the prefill's


def _child(argv: list[str]) -> None:
    """In a checkout's Python: `prepare` (truncate, prefill, ANALYZE) or `post N`."""
    import django

    django.setup()
    from django.test import Client

    from bench import fixtures
    from bench.pace import contact_body
    from bench.steps import _prefill

    target = fixtures.seed(callback_url="http://127.0.0.1:9/unused")
    if argv[0] == "prepare":
        fixtures.truncate_intake()
        _prefill(target, 0)
        return
    path = target.bare_path if os.environ.get("INSTR_BARE") == "1" else target.intake_path
    client = Client()
    # The start-up's objects out of the collector's way: a full collection over them (tens of
    # millions of instructions) falls in one run and not in the other, by chance.
    gc.collect()
    gc.freeze()
    statuses: dict[int, int] = {}
    for i in range(int(argv[1])):
        response = client.post(
            path,
            contact_body(FIRST + i),
            content_type="application/json",
            headers={"token": target.token},
        )
        statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
    if set(statuses) != {200}:
        raise SystemExit(f"posts answered {statuses}")


def _count(root: Path, env: dict[str, str], posts: int) -> int:
    python = str(root / ".venv" / "bin" / "python")
    # This file runs as a script in the checkout measured (cwd and PYTHONPATH): its app and
    # its bench package are imported, whichever checkout holds this tool.
    me = [str(Path(__file__).resolve()), "--child"]
    subprocess.run([python, *me, "prepare"], cwd=root, env=env, check=True)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "callgrind.out"
        valgrind = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}"]
        subprocess.run(
            [*valgrind, python, *me, "post", str(posts)],
            cwd=root,
            env=env,
            check=True,
            capture_output=True,
        )
        for line in out.read_text().splitlines():
            if line.startswith(("summary:", "totals:")):
                return int(line.split()[1])
    raise RuntimeError("callgrind wrote no total")


def instructions_per_post(root: Path, database_url: str) -> int:
    from bench.run import bench_env, recreate_database

    few, many = int(os.environ.get("INSTR_FEW", "10")), int(os.environ.get("INSTR_MANY", "60"))
    recreate_database(database_url)
    env = bench_env(database_url, "redis://127.0.0.1:6379/15")
    env["PYTHONPATH"] = str(root)
    subprocess.run(
        [str(root / ".venv" / "bin" / "python"), "manage.py", "migrate", "--noinput", "-v0"],
        cwd=root,
        env=env,
        check=True,
    )
    return (_count(root, env, many) - _count(root, env, few)) // (many - few)


def main(argv: list[str]) -> int:
    from bench.run import ROOT

    if argv[:1] == ["--child"]:
        _child(argv[1:])
        return 0
    roots = [Path(a).resolve() for a in argv] or [ROOT]
    database_url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_DB)
    for root in roots:
        count = instructions_per_post(root, database_url)
        side = "bare view" if os.environ.get("INSTR_BARE") == "1" else "full pipeline"
        print(f"{root}: {count:,} instructions per post ({side})", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
