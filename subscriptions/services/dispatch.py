"""The outbox dispatcher: the intake's deliveries reach the broker without the request's help.

The intake writes its CallbackDelivery rows unsent (`enqueued_at` NULL) and, in the same
transaction, a `NOTIFY callbacks_due` (PostgreSQL delivers it at COMMIT, and never for a rolled
back transaction). A dispatcher thread in every Celery worker LISTENs on that channel, claims
the unsent due rows with one `UPDATE … FOR UPDATE SKIP LOCKED … RETURNING` (so two workers
never claim the same row) and sends them to the broker, CALLBACK_TASK_BATCH ids per task. Under
load one wake-up claims many rows, so the broker sees far fewer messages than posts.

A missed NOTIFY (no worker was listening, the connection dropped) loses nothing: the dispatcher
also claims every CALLBACK_DISPATCH_POLL_SECONDS, and the beat sweeper sends any unsent due row.
"""

from __future__ import annotations

import logging
import threading

from django.conf import settings
from django.db import connection
from django.utils import timezone

from subscriptions.services.outbox import (
    CHANNEL,
    deliveries_announce,
    deliveries_claim,
    deliveries_enqueue,
)

logger = logging.getLogger(__name__)


def deliveries_dispatch(*, limit: int | None = None) -> int:
    """Claim up to `limit` unsent due deliveries and send them to the broker; how many."""
    ids = deliveries_claim(
        now=timezone.now(), lost_before=None, limit=limit or settings.CALLBACK_SWEEP_BATCH
    )
    if ids:
        deliveries_enqueue(ids)  # a broker outage marks them unsent again, for the next try
    return len(ids)


class Dispatcher(threading.Thread):
    """LISTEN, claim, send; again on every NOTIFY, and every `poll` seconds regardless."""

    def __init__(self, *, poll: float) -> None:
        super().__init__(name="callbacks-dispatcher", daemon=True)
        self.poll = poll
        self.stopping = threading.Event()
        self.listening = threading.Event()  # set once LISTEN runs (tests wait for it)

    def stop(self, timeout: float | None = None) -> None:
        """Stop at once: a NOTIFY ends the thread's wait (and wakes any other dispatcher, which
        finds nothing to claim)."""
        self.stopping.set()
        try:
            deliveries_announce()
        except Exception:  # no database: the wait ends at the next poll
            logger.warning("callbacks: could not wake the dispatcher to stop it", exc_info=True)
        self.join(timeout)

    def run(self) -> None:
        while not self.stopping.is_set():
            try:
                self._serve()
            except Exception:
                # The database went away (or a claim failed): reconnect after a pause.
                logger.warning("callbacks: dispatcher interrupted, retrying", exc_info=True)
                connection.close()
                self.stopping.wait(min(self.poll, 5.0))
        connection.close()

    def _serve(self) -> None:
        connection.ensure_connection()
        raw = connection.connection
        raw.execute(f"LISTEN {CHANNEL}")
        self.listening.set()
        batch = settings.CALLBACK_SWEEP_BATCH
        while not self.stopping.is_set():
            while deliveries_dispatch(limit=batch) == batch and not self.stopping.is_set():
                pass  # a backlog: keep claiming
            # Wait for a commit's NOTIFY (all that arrived meanwhile come in one go) or the poll.
            for _notify in raw.notifies(timeout=self.poll, stop_after=1):
                pass
