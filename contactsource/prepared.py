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

import re
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC
from typing import Any

import psycopg
from django.db import DEFAULT_DB_ALIAS, connections
from psycopg import pq
from psycopg._preparing import Prepare, PrepareManager
from psycopg.pq.abc import PGresult
from psycopg.types.datetime import TimestamptzLoader

# psycopg prepares a statement once it has run this many times, or at once when asked.
ONLY_WHEN_ASKED = 2**62


class _KeptOnRollback(PrepareManager):
    """psycopg's cache of prepared statements, except that a ROLLBACK keeps it.

    psycopg forgets every prepared statement (and sends DEALLOCATE ALL) on each rollback, in
    case the transaction dropped what they use. A rollback does not deallocate them on the
    server, and PostgreSQL re-plans a statement whose tables changed; a refused post (409,
    429) rolls back, so without this it cost a round trip more, and so did the post after it.
    DROP, ALTER, DISCARD ALL and DEALLOCATE ALL still clear the cache, as in psycopg.
    """

    def clear(self) -> bool:  # psycopg's Connection.rollback() calls this
        return False

    def _should_discard(
        self, prep: Prepare, results: Sequence[PGresult], _match: Any = None, /
    ) -> bool:
        if self._names or prep == Prepare.SHOULD:
            for result in results:
                status = result.command_status if result.status == _COMMAND_OK else None
                if status and _DISCARDS.match(status):
                    return PrepareManager.clear(self)
        return False


_COMMAND_OK = pq.ExecStatus.COMMAND_OK
_DISCARDS = re.compile(rb"^(?:DROP|ALTER|DISCARD ALL|DEALLOCATE ALL)\b")


def _preparing_on(raw: psycopg.Connection[Any]) -> None:
    """Django opens connections with psycopg's preparing off (`prepare_threshold` None), and
    then psycopg ignores `prepare=True` too: every execution was parsed, analysed and planned
    again, about half of the server's CPU per post. A threshold no query reaches prepares
    only what asks for it (here), never Django's own statements."""
    if isinstance(getattr(raw, "_prepared", None), PrepareManager):
        kept = _KeptOnRollback()
        kept.prepared_max = raw.prepared_max or PrepareManager.prepared_max
        raw._prepared = kept
    raw.prepare_threshold = ONLY_WHEN_ASKED


def _queue_only() -> Iterator[Any]:
    """A pipeline's `_communicate_gen` that sends nothing: the statement stays queued."""
    return
    yield


@contextmanager
def pipeline_sent_once(
    raw: psycopg.Connection[Any], control: psycopg.Cursor[Any] | None = None
) -> Iterator[None]:
    """`raw.pipeline()`, whose statements leave in one write when the block ends, after the
    transaction's BEGIN when one is due.

    psycopg sends each statement of a pipeline as it is queued: a write to the socket and a
    poll of it each, the GIL released and taken back each time (with four request threads, a
    wait for it). And it sends a transaction's BEGIN alone, with a Sync, and waits for the
    answer: one round trip for nothing. strace counted 12 writes and 21 polls per accepted
    post. Here the statements go to libpq's buffer as they are queued (psycopg, seeing no
    transaction open yet, would start one before each: it is told it is in autocommit until
    the block's end, BEGIN being the first statement queued), and the pipeline's end, its Sync,
    writes them all at once. Results and errors come back as before, at the end.

    `control`: a kept cursor to send the BEGIN with (`raw.execute` makes a new cursor)."""
    begin = not raw.autocommit and raw.pgconn.transaction_status == pq.TransactionStatus.IDLE
    with raw.pipeline() as pipeline:
        pipeline._communicate_gen = _queue_only  # type: ignore[assignment,method-assign]
        try:
            if begin:
                raw._autocommit = True  # no BEGIN of psycopg's own before each statement
                begin_command = raw._get_tx_start_command()  # psycopg's: with the isolation
                (control or raw).execute(begin_command)
            yield
        finally:
            del pipeline._communicate_gen  # psycopg's own again, for the Sync
            queue = pipeline.command_queue
            try:
                while queue:
                    queue.popleft()()  # into libpq's output buffer; the Sync flushes it
            finally:
                if begin:
                    raw._autocommit = False


Statement = tuple[str, Sequence[Any]]


def prepared_rows(statements: Sequence[Statement]) -> list[list[tuple[Any, ...]]]:
    """Each statement's rows: reads sent together, prepared, in one round trip; Django's
    errors. One statement alone runs without a pipeline."""
    if len(statements) != 1:
        with connections[DEFAULT_DB_ALIAS].wrap_database_errors:
            return pipelined(statements)[0]
    with prepared_cursor() as cursor:
        cursor.execute(*statements[0])
        with cursor.wrapper.wrap_database_errors:
            return [cursor.raw.fetchall()]


def pipelined(
    statements: Sequence[Statement], *, commit: bool = False
) -> tuple[list[list[tuple[Any, ...]]], bool]:
    """Run the statements, prepared, in one pipeline (`pipeline_sent_once`: with the
    transaction's BEGIN when one is due, and with `commit` its COMMIT after them): one round
    trip. The server still runs them one after another, each with its own snapshot. Returns
    each statement's rows, and whether the connection was lost after the COMMIT had answered;
    raises psycopg's errors otherwise (the caller decides what they mean)."""
    lost = False
    with prepared_cursors(len(statements) + 1) as kept:
        *cursors, control = kept  # `control` sends BEGIN and COMMIT
        raw = control.raw.connection
        done = None
        try:
            with pipeline_sent_once(raw, control.raw):
                for cursor, (sql, params) in zip(cursors, statements, strict=True):
                    cursor.send(sql, params)
                if commit:
                    done = control.raw.execute("COMMIT")
        except psycopg.Error:
            # A server told to stop during the COMMIT finishes it, answers, and ends the session
            # before it reads the pipeline's Sync: the error comes after the COMMIT's answer.
            if done is None or done.statusmessage != "COMMIT":
                raise
            lost = True
        # Read once the pipeline has ended (its Sync brought every result back): reading
        # inside it would wait for the results once (a flush) and then again for the Sync, a
        # second round trip, one that would also leave a committed post waiting on the wire.
        return [cursor.raw.fetchall() for cursor in cursors], lost


@contextmanager
def prepared_cursor() -> Iterator[PreparedCursor]:
    with prepared_cursors(1) as (cursor,):
        yield cursor


@contextmanager
def prepared_cursors(count: int) -> Iterator[list[PreparedCursor]]:
    """`count` cursors on the request's connection (a pipeline's statements, one each)."""
    wrapper = connections[DEFAULT_DB_ALIAS]  # the proxy `connection` looks it up on each use
    # As Django's own cursor(): a reused connection that died (CONN_HEALTH_CHECKS) is replaced
    # before the first statement of the request, not discovered by it.
    wrapper.close_if_health_check_failed()
    wrapper.ensure_connection()
    wrapper.validate_thread_sharing()
    raw = wrapper.connection
    if raw.prepare_threshold is None:
        _preparing_on(raw)
    idle = _idle_cursors(wrapper, raw)
    cursors = [idle.pop() if idle else _new_cursor(raw, wrapper) for _ in range(count)]
    try:
        yield cursors
    finally:
        idle.extend(reversed(cursors))


def _new_cursor(raw: psycopg.Connection[Any], wrapper: Any) -> PreparedCursor:
    cursor = psycopg.Cursor(raw)
    if wrapper.timezone is UTC and raw.info.timezone is UTC:
        # Django loads timestamptz through a Python subclass of psycopg's loader that sets
        # its own time zone on each value (about 3 % of a post's Python, the entry read's
        # timestamps); when the session's zone is Django's, UTC, psycopg's compiled loader
        # gives the same values, with the same tzinfo object.
        cursor.adapters.register_loader("timestamptz", TimestamptzLoader)
    return PreparedCursor(cursor, wrapper)


def _idle_cursors(wrapper: Any, raw: psycopg.Connection[Any]) -> list[PreparedCursor]:
    """The connection's cursors not in use, kept from one statement to the next.

    A new psycopg cursor copies the connection's adapters map and starts a new transformer,
    which then builds a loader for each column of each result (a post's entry read returns
    about fifty): about a tenth of a post's Python time went on it (py-spy). A cursor kept for
    the connection's life keeps its transformer's loaders; each execute resets its results.
    Django's connection object is per thread, as is the raw connection it holds: a new raw
    connection (a reconnect) starts a new list."""
    kept: tuple[psycopg.Connection[Any], list[PreparedCursor]] | None = getattr(
        wrapper, "_prepared_idle", None
    )
    if kept is None or kept[0] is not raw:
        kept = wrapper._prepared_idle = (raw, [])
    return kept[1]


class PreparedCursor:
    """`execute(sql, params)` prepared on the server; `fetchone()`; Django's error classes."""

    def __init__(self, raw: psycopg.Cursor[Any], wrapper: Any) -> None:
        self.raw = raw
        self.wrapper = wrapper  # Django's DatabaseWrapper of the connection

    def execute(self, sql: str, params: Sequence[Any]) -> None:
        with self.wrapper.wrap_database_errors:
            self.send(sql, params)

    def send(self, sql: str, params: Sequence[Any]) -> None:
        """`execute` in a pipeline: psycopg's own errors (they arrive when the pipeline syncs,
        where the caller decides what they mean), logged as `execute` logs."""
        started = time.monotonic()
        self.raw.execute(sql, params, prepare=True)
        if self.wrapper.queries_logged:
            took = f"{time.monotonic() - started:.3f}"
            self.wrapper.queries_log.append({"sql": f"{sql} -- prepared", "time": took})

    def fetchone(self) -> tuple[Any, ...] | None:
        with self.wrapper.wrap_database_errors:
            return self.raw.fetchone()
