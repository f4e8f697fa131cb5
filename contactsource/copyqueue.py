"""Several tables' COPYs in one transaction, the database working while Python builds the next.

A 1,000-contact batch writes six tables by COPY, and Python and PostgreSQL used to take turns:
Python built a table's rows, PostgreSQL stored them (and, at COMMIT, ran the foreign-key checks
of all of them, some 12,000), then Python built the next table's rows. Inside
`copies_overlapped`:

- the ids of every table are drawn in one statement at the start (`bulk.next_ids_of`), so
  `bulk_insert_rows` returns them at once instead of asking the database each time;
- each COPY runs on a helper thread, one after another in the order given, while the caller
  goes on (psycopg waits for the server without holding the GIL);
- the foreign keys are checked at the end of each statement instead of at COMMIT (`SET
  CONSTRAINTS ALL IMMEDIATE`, put back to deferred at the end): the same constraints, checked
  by the database, earlier, so one COPY's checks run while Python builds the next one's rows;
- any other statement of the caller's connection first waits for the COPYs queued before it
  (a Django execute wrapper), so statements still run in the order the code sends them, and
  an error of a COPY is raised there, or when the block ends, in the caller's thread.

While a block runs, Python's switch interval is 0.5 ms instead of 5 (`_switching_often`): the
helper thread needs the GIL for a moment at each step of a COPY (a piece sent, the COPY's
result, the next job), and with the caller's thread busy it waited up to the whole interval
each time, the database idle meanwhile (an import of 20,000 rows in process, alternating: 0.6
to 11 % faster in four runs of four; docs/benchmarks.md). Like the garbage collector's pause
(contactsource/gcpause.py), it is the process's setting, put back when the last block of the
process ends.

Every deferrable constraint of this schema is a foreign key created initially deferred
(Django's default), so `SET CONSTRAINTS ALL DEFERRED` puts back exactly what was there; a parent
row must be written before its children inside the block (contacts before their events).
"""

from __future__ import annotations

import queue
import sys
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from django.db import connection, models

from contactsource.bulk import COPY_MIN_ROWS, _copy, copy_data, copy_queue, next_ids_of
from contactsource.rowplans import _db

_Job = Callable[[], None]


class _Copies:
    """The COPYs of one block, run in order on one helper thread."""

    def __init__(self, db: Any, ids: dict[type[models.Model], list[int]]) -> None:
        self.db = db
        self.ids = ids
        self.jobs: queue.Queue[_Job | None] = queue.Queue()
        self.error: BaseException | None = None
        self.cancelled = False
        self.thread = threading.Thread(target=self._run, name="copies", daemon=True)

    def ids_take(self, model: type[models.Model], count: int) -> list[int] | None:
        ids = self.ids.pop(model, None)
        if ids is not None and len(ids) != count:
            raise ValueError(f"{model.__name__}: {len(ids)} ids drawn for {count} rows")
        return ids

    def put(
        self, model: type[models.Model], columns: Sequence[str], rows: Iterable[Sequence[Any]]
    ) -> None:
        # The rows become COPY's bytes here: made on the helper thread, they would take the
        # GIL from this one a row at a time (every handover up to 5 ms, Python's switch
        # interval), for more than the overlap saves.
        data = copy_data(self.db, rows)

        def job() -> None:
            with self.db.connection.cursor() as raw:
                _copy(raw, self.db, model, columns, data)

        self.jobs.put(job)

    def _run(self) -> None:
        while True:
            job = self.jobs.get()
            try:
                if job is None:
                    return
                if self.error is None and not self.cancelled:
                    job()
            except BaseException as exc:  # raised again in the caller's thread
                self.error = exc
            finally:
                self.jobs.task_done()

    def wait(self) -> None:
        """Until every queued COPY has run; raises the first COPY's error, if one failed."""
        self.jobs.join()
        if self.error is not None:
            raise self.error

    def before_statement(
        self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any
    ) -> Any:
        self.wait()
        return execute(sql, params, many, context)

    def stop(self) -> None:
        self.jobs.put(None)
        self.thread.join()


SWITCH_INTERVAL = 0.0005
_lock = threading.Lock()
_running = 0
_interval_before = 0.0


@contextmanager
def _switching_often() -> Iterator[None]:
    global _running, _interval_before
    with _lock:
        _running += 1
        if _running == 1:
            _interval_before = sys.getswitchinterval()
            sys.setswitchinterval(min(SWITCH_INTERVAL, _interval_before))
    try:
        yield
    finally:
        with _lock:
            _running -= 1
            if _running == 0:
                sys.setswitchinterval(_interval_before)


@contextmanager
def copies_overlapped(counts: Mapping[type[models.Model], int]) -> Iterator[None]:
    """Inside a transaction: `bulk_insert_rows` of exactly `counts[model]` rows for each model
    takes ids drawn now and COPYs on a helper thread; the block ends when all are written."""
    large = {model: count for model, count in counts.items() if count >= COPY_MIN_ROWS}
    if not large:
        yield  # every table takes bulk_create: nothing to overlap
        return
    assert connection.in_atomic_block, "copies_overlapped writes inside a transaction"
    db = _db()
    with connection.cursor() as cursor:
        ids = next_ids_of(cursor, large, before="SET CONSTRAINTS ALL IMMEDIATE; ")
    copies = _Copies(db, ids)
    token = copy_queue.set(copies)
    copies.thread.start()
    try:
        with _switching_often(), db.execute_wrapper(copies.before_statement):
            yield
            copies.wait()
    except BaseException:
        copies.cancelled = True  # the transaction rolls back: skip the COPYs not yet begun
        raise
    finally:
        copy_queue.reset(token)
        copies.stop()
    assert not copies.ids, f"ids drawn and not used: {list(copies.ids)}"
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
