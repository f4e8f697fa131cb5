"""Faults lose nothing: Redis stopped, the worker killed, PostgreSQL connections dropped.

Real processes on this machine only: a gunicorn on the test database, a Redis and a Celery
worker that the test starts (and stops, by pid), a loopback CRM that verifies signatures, and a
TCP proxy in front of PostgreSQL that the test can cut. Every contact the intake accepted keeps
its ledger rows and is called back once the fault clears; while the database is unreachable the
intake answers 503 (never 500).
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import socket
import threading
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.db.models import Count

from bench import harness
from bench.pace import contact_body
from finance.models import Cap, LedgerEntry
from finance.services import cap_save
from ingest.models import Contact, IntakeStatus
from sources.models import SourceCampaign
from subscriptions.models import CallbackDelivery, DeliveryStatus
from subscriptions.receiver import CallbackReceiver, Received
from tests.factories import (
    CallbackEndpointFactory,
    CampaignFactory,
    CampaignFieldFactory,
    SourceCampaignFactory,
)
from tests.integration.processes import (
    RedisProcess,
    WorkerProcess,
    database_url,
    free_port,
    wait_for,
)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(900), pytest.mark.slow]

BATCH = 60


def app_env(*, broker_url: str, db_port: int | None = None) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": database_url(port=db_port),
        "CELERY_BROKER_URL": broker_url,
        "SECRET_KEY": "reliability-test-only",
        "DEBUG": "false",
        "ALLOWED_HOSTS": "127.0.0.1",
        "CALLBACK_ALLOW_PRIVATE": "true",
        "LOG_LEVEL": "WARNING",
        # A day of retries squeezed into seconds; the sweeper runs every second.
        "CALLBACK_RETRY_BASE_SECONDS": "0.5",
        "CALLBACK_RETRY_MAX_DELAY_SECONDS": "2",
        "CALLBACK_SWEEP_SECONDS": "1",
        "CALLBACK_LOST_TASK_SECONDS": "3",
        "CALLBACK_CONNECT_TIMEOUT": "1",
        "CALLBACK_READ_TIMEOUT": "3",
        "CALLBACK_LEASE_SECONDS": "5",
    }


def make_entry() -> SourceCampaign:
    campaign = CampaignFactory.create(revenue=Decimal("5.00"))
    for key, type_ in (("email", "email"), ("phone", "tel"), ("firstname", "text")):
        CampaignFieldFactory.create(campaign=campaign, key=key, type=type_)
    CampaignFieldFactory.create(campaign=campaign, key="zipcode", type="zipcode")
    entry = SourceCampaignFactory.create(campaign=campaign, cost=Decimal("2.50"), scrub_rate=20)
    # Caps in the transaction's path (too large to be reached).
    cap_save(cap=Cap(campaign=campaign, source=entry.source, limit=100_000, duration="day"))
    cap_save(cap=Cap(campaign=campaign, limit=1_000_000, duration="P30D"))
    return entry


def post_many(
    port: int,
    entry: SourceCampaign,
    indexes: range,
    *,
    threads: int = 4,
    during: Callable[[int], object] | None = None,
) -> list[tuple[int, dict[str, Any]]]:
    """POST one distinct contact per index from a few keep-alive clients; (status, body) each.

    `during(n)` is called once, from the caller's thread, after n answers have arrived.
    """
    path = f"/source/{entry.source_id}/campaign/{entry.campaign_id}/contact"
    headers = {"Content-Type": "application/json", "token": entry.source.token}  # type: ignore[attr-defined]
    answers: list[tuple[int, dict[str, Any]]] = []
    lock = threading.Lock()
    todo = list(indexes)

    def client(share: list[int]) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        for index in share:
            conn.request("POST", path, contact_body(index), headers)
            response = conn.getresponse()
            answer = (response.status, json.loads(response.read()))
            with lock:
                answers.append(answer)
            if response.getheader("Connection", "").lower() == "close":
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.close()

    workers = [threading.Thread(target=client, args=(todo[t::threads],)) for t in range(threads)]
    for worker in workers:
        worker.start()
    if during is not None:
        fire_at = len(todo) // 3
        wait_for(lambda: len(answers) >= fire_at, timeout=60, what=f"{fire_at} answers")
        during(fire_at)
    for worker in workers:
        worker.join(timeout=120)
    assert len(answers) == len(todo)
    return answers


def terminate_app_connections() -> int:
    """Drop every other session on the test database (gunicorn's, the worker's)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        row = cursor.fetchone()
    return int(row[0]) if row else 0


def assert_kept_contacts_are_whole(accepted_ids: set[int]) -> None:
    """Each contact the intake answered 200 for exists, with its ledger rows and one delivery."""
    contacts = {c.pk: c for c in Contact.objects.all()}
    assert set(contacts) == accepted_ids
    ledger = dict(LedgerEntry.objects.values_list("contact_id").annotate(n=Count("id")))
    for pk, contact in contacts.items():
        expected = 2 if contact.status == IntakeStatus.ACCEPTED else 0
        assert ledger.get(pk, 0) == expected, (pk, contact.status)
    deliveries = dict(CallbackDelivery.objects.values_list("contact_id").annotate(n=Count("id")))
    assert deliveries == dict.fromkeys(accepted_ids, 1)


def test_accepted_contacts_keep_their_money_and_are_called_back_through_faults(
    tmp_path: Path,
) -> None:
    entry = make_entry()
    secrets: list[str] = []

    def slow_crm(received: Received, duplicate: bool) -> None:
        time.sleep(0.05)  # deliveries take a while, so the worker dies with some in flight

    receiver = CallbackReceiver(lambda: secrets, on_receive=slow_crm).start()
    secrets.append(CallbackEndpointFactory.create(url=receiver.url).secret)
    redis = RedisProcess(tmp_path).start()
    env = app_env(broker_url=redis.url)
    worker = WorkerProcess(env, tmp_path / "worker.log", concurrency=4).start()
    answers: list[tuple[int, dict[str, Any]]] = []
    try:
        with harness.services() as started:
            web = harness.start_gunicorn(env, tmp_path, name="gunicorn")
            started.append(web)
            port = web.port or 0

            answers += post_many(port, entry, range(0, BATCH))
            wait_for(lambda: receiver.state.received, timeout=60, what="a first callback")

            redis.stop()  # queued tasks are lost; new ones cannot be sent
            answers += post_many(port, entry, range(BATCH, 2 * BATCH))
            redis.start()

            answers += post_many(port, entry, range(2 * BATCH, 3 * BATCH))
            seen = len(receiver.state.received)
            wait_for(
                lambda: len(receiver.state.received) > seen + 3, timeout=240, what="deliveries"
            )
            worker.kill()  # SIGKILL with deliveries in flight and tasks prefetched
            worker = WorkerProcess(env, tmp_path / "worker.log", concurrency=4).start()

            # Connections cut while posts are arriving and callbacks are being sent.
            answers += post_many(
                port,
                entry,
                range(3 * BATCH, 4 * BATCH),
                during=lambda n: terminate_app_connections(),
            )
            assert terminate_app_connections() > 0  # the app had reconnected

            answers += post_many(port, entry, range(4 * BATCH, 5 * BATCH))
            kept = {body["contact"]["id"] for status, body in answers if status == 200}
            wait_for(
                lambda: (
                    CallbackDelivery.objects.filter(status=DeliveryStatus.DELIVERED).count()
                    == len(kept)
                ),
                timeout=240,
                interval=0.5,
                what="every callback to be delivered",
            )
    finally:
        worker.stop()
        redis.stop()
        receiver.stop()

    statuses = [status for status, _ in answers]
    assert 500 not in statuses
    # Only a post caught mid-transaction by the cut may be refused, and then with a 503.
    assert set(statuses) <= {200, 503}
    assert statuses.count(200) >= len(statuses) - 8
    assert all(body["statusCode"] == status for status, body in answers)
    assert_kept_contacts_are_whole(kept)
    events = {str(d.event_id) for d in CallbackDelivery.objects.all()}
    assert receiver.state.event_ids() == events  # every one called back, deduplicable
    assert receiver.state.invalid == 0


class TcpProxy:
    """127.0.0.1:port → PostgreSQL, which the test can cut (and restore) at will."""

    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        self.port = free_port()
        self._listener: socket.socket | None = None
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()

    def start(self) -> TcpProxy:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        with self._lock:
            self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()
        return self

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # stopped
            upstream = socket.create_connection(self.upstream)
            with self._lock:
                if listener is not self._listener:
                    # Accepted just as the proxy stopped: this one is cut too.
                    client.close()
                    upstream.close()
                    return
                self._sockets += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

    def stop(self) -> None:
        """Nothing listens any more and every open connection is cut."""
        with self._lock:
            listener, self._listener = self._listener, None
            sockets, self._sockets = self._sockets, []
        if listener is not None:
            # shutdown() wakes the thread blocked in accept(); close() alone may not.
            with contextlib.suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)
            listener.close()
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()


def test_the_intake_answers_503_while_the_database_is_unreachable_and_recovers(
    tmp_path: Path,
) -> None:
    entry = make_entry()
    db = connection.settings_dict
    proxy = TcpProxy((db.get("HOST") or "127.0.0.1", int(db.get("PORT") or 5432))).start()
    # No endpoint and no broker needed: nothing is enqueued.
    env = app_env(broker_url=f"redis://127.0.0.1:{free_port()}/0", db_port=proxy.port)
    try:
        with harness.services() as started:
            web = harness.start_gunicorn(env, tmp_path, name="gunicorn")
            started.append(web)
            port = web.port or 0
            before = post_many(port, entry, range(0, 20))

            proxy.stop()
            during = post_many(port, entry, range(20, 40))
            raw = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            path = f"/source/{entry.source_id}/campaign/{entry.campaign_id}/contact"
            raw.request("POST", path, contact_body(99), {"Content-Type": "application/json"})
            unavailable = raw.getresponse()
            unavailable.read()
            raw.close()

            proxy.start()
            after = post_many(port, entry, range(40, 60))
    finally:
        proxy.stop()

    assert [s for s, _ in before] == [200] * 20
    assert [s for s, _ in during] == [503] * 20
    for _, body in during:
        assert body["statusCode"] == 503 and body["success"] is False
        assert body["contact"] is None
    assert unavailable.status == 503
    assert unavailable.getheader("Retry-After")
    assert unavailable.getheader("Content-Type", "").startswith("application/json")
    assert [s for s, _ in after] == [200] * 20
    kept = {body["contact"]["id"] for status, body in before + after if status == 200}
    contacts = set(Contact.objects.values_list("id", flat=True))
    assert contacts == kept
    ledger = dict(LedgerEntry.objects.values_list("contact_id").annotate(n=Count("id")))
    for contact in Contact.objects.all():
        assert ledger.get(contact.pk, 0) == (2 if contact.status == IntakeStatus.ACCEPTED else 0)
