"""Prepared statements for the intake's hot statements.

Django merges parameters into the SQL text on the client (psycopg's client-side binding), so
PostgreSQL parses and plans every statement on every execution. For the intake's entry read and
its one write statement, planning took longer than running (about 0.4-1 ms of the server's CPU
per post, measured in `docs/benchmarks.md`). Here the same SQL runs through a server-side-binding
psycopg cursor with `prepare=True`: psycopg prepares it once per connection (keyed by the text
and the parameters' types, at most `prepared_max` per connection) and then only binds and runs.
With persistent connections (CONN_MAX_AGE) that is once per web process.

Errors are Django's (`wrap_database_errors`), and the statement is logged in Django's query log
when it is on, as any other, so statement-count tests stay honest.

Not for a connection pooler in transaction mode (PgBouncer before 1.21 without
`max_prepared_statements`): prepared statements belong to a server session. A migration that
changes the type of a column these statements return makes PostgreSQL refuse the old plan
("cached plan must not change result type") on connections opened before it: restart the web
processes after such a migration, as a deploy does.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import psycopg
from django.db import connection


@contextmanager
def prepared_cursor() -> Iterator[PreparedCursor]:
    # As Django's own cursor(): a reused connection that died (CONN_HEALTH_CHECKS) is replaced
    # before the first statement of the request, not discovered by it.
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    connection.validate_thread_sharing()
    cursor = PreparedCursor(psycopg.Cursor(connection.connection))
    try:
        yield cursor
    finally:
        cursor.raw.close()


class PreparedCursor:
    """`execute(sql, params)` prepared on the server; `fetchone()`; Django's error classes."""

    def __init__(self, raw: psycopg.Cursor[Any]) -> None:
        self.raw = raw

    def execute(self, sql: str, params: Sequence[Any]) -> None:
        started = time.monotonic()
        with connection.wrap_database_errors:
            self.raw.execute(sql, params, prepare=True)
        if connection.queries_logged:
            took = f"{time.monotonic() - started:.3f}"
            connection.queries_log.append({"sql": f"{sql} -- prepared", "time": took})

    def fetchone(self) -> tuple[Any, ...] | None:
        with connection.wrap_database_errors:
            return self.raw.fetchone()
