"""Slow clients wait in nginx, not in gunicorn: 64 of them do not delay anyone else (issue 17).

A real gunicorn (sync workers, as docker-compose.yml runs it) on the test database, and a real
nginx with the committed config (deploy/nginx/contactsource.conf.template) in front of it. 64
connections send a request one byte every 2 s and never finish it: half are unauthenticated
intake posts that declared `Content-Length: 5000`, half are GETs still sending headers. Straight
at gunicorn they hold both workers and a normal request waits; through nginx a normal GET and a
normal intake post answer within a second of their unloaded time. nginx also cuts the slow
headers off after client_header_timeout, refuses one address's requests beyond its limit with
429 and a body over its limit with 413 (before reading it), and passes the client's address on
(the intake log records it, not nginx's).
"""

from __future__ import annotations

import http.client
import json
import os
import re
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import pytest

from bench import harness
from ingest.models import IntakeEvent
from sources.models import SourceCampaign
from tests.integration.processes import NGINX_TEMPLATE, NginxProcess
from tests.test_reliability_load import server_env

pytestmark = [
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
    # The test is built to finish in well under a minute; this only stops a hang.
    pytest.mark.timeout(120),
]

TRICKLE_SECONDS = 2.0
SLOW_EACH_KIND = 32  # slow-body posts, and as many slow-header GETs
# Loopback has all of 127/8: the slow clients come from four addresses (16 connections each,
# under nginx's per-address limit), the normal requests from others.
SLOW_ADDRESSES = ("127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5")
CLIENT_ADDRESS = "127.0.0.6"  # the normal intake posts
GREEDY_ADDRESS = "127.0.0.9"  # one address opening more than the limit
ALLOWED_DELAY = 1.0
DIRECT_PATIENCE = 5.0  # how long the baseline's normal request waits before giving up


def config_seconds(directive: str) -> float:
    match = re.search(rf"^\s*{directive}\s+(\d+)s;", NGINX_TEMPLATE.read_text(), re.M)
    assert match, directive
    return float(match.group(1))


def config_conn_limit() -> int:
    match = re.search(r"^\s*limit_conn\s+cs_perip\s+(\d+);", NGINX_TEMPLATE.read_text(), re.M)
    assert match
    return int(match.group(1))


class SlowClients:
    """Connections that send a request one byte every TRICKLE_SECONDS and never finish it."""

    def __init__(self, port: int, intake_path: str) -> None:
        self.port = port
        self.intake_path = intake_path
        self.socks: dict[str, list[socket.socket]] = {"body": [], "headers": []}
        self.opened_at = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._trickle, daemon=True)

    def open(self, kind: str, count: int, addresses: tuple[str, ...]) -> None:
        if kind == "body":
            head = (
                f"POST {self.intake_path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 5000\r\n\r\na"
            )
        else:
            head = "GET /health/ HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: a"
        for i in range(count):
            sock = socket.socket()
            sock.bind((addresses[i % len(addresses)], 0))
            sock.settimeout(5)
            sock.connect(("127.0.0.1", self.port))
            sock.sendall(head.encode())
            # From here on nothing waits on it: the trickle and the state checks only peek.
            sock.setblocking(False)
            self.socks[kind].append(sock)
        self.opened_at = self.opened_at or time.monotonic()

    def start(self) -> SlowClients:
        self._thread.start()
        return self

    def _trickle(self) -> None:
        while not self._stop.wait(TRICKLE_SECONDS):
            for sock in [s for socks in self.socks.values() for s in socks]:
                # One closed by the server refuses the byte: state() reports it.
                with suppress(OSError):
                    sock.send(b"a")

    @staticmethod
    def state(sock: socket.socket) -> str:
        """hanging (open, nothing received), answered (bytes waiting) or closed."""
        try:
            data = sock.recv(256, socket.MSG_PEEK)
        except BlockingIOError:
            return "hanging"
        except OSError:
            return "closed"
        return "answered" if data else "closed"

    def states(self, kind: str) -> list[str]:
        return [self.state(sock) for sock in self.socks[kind]]

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
        for socks in self.socks.values():
            for sock in socks:
                sock.close()


@contextmanager
def slow_load(port: int, intake_path: str) -> Iterator[SlowClients]:
    clients = SlowClients(port, intake_path)
    try:
        clients.open("body", SLOW_EACH_KIND, SLOW_ADDRESSES)
        clients.open("headers", SLOW_EACH_KIND, SLOW_ADDRESSES)
        clients.start()
        # Long enough for every connection to be taken up and a byte or two to trickle in.
        time.sleep(TRICKLE_SECONDS + 0.5)
        yield clients
    finally:
        clients.close()


def timed_get(port: int, *, timeout: float) -> tuple[float, int | None]:
    """Seconds until GET /health/ answered (the timeout if it did not), and its status."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    began = time.monotonic()
    try:
        conn.request("GET", "/health/")
        response = conn.getresponse()
        response.read()
        return time.monotonic() - began, response.status
    except TimeoutError:
        return time.monotonic() - began, None
    finally:
        conn.close()


def timed_post(port: int, entry: SourceCampaign, email: str) -> tuple[float, int, str]:
    """A normal intake post from CLIENT_ADDRESS, claiming to be someone else in X-Forwarded-For."""
    conn = http.client.HTTPConnection(
        "127.0.0.1", port, timeout=10, source_address=(CLIENT_ADDRESS, 0)
    )
    headers = {
        "Content-Type": "application/json",
        "token": entry.source.token,  # type: ignore[attr-defined]
        "X-Forwarded-For": "203.0.113.99",
    }
    path = f"/source/{entry.source_id}/campaign/{entry.campaign_id}/contact"
    began = time.monotonic()
    try:
        conn.request("POST", path, json.dumps({"email": email}), headers)
        response = conn.getresponse()
        body = json.loads(response.read())
        return time.monotonic() - began, response.status, body["id"]
    finally:
        conn.close()


def declared_too_large(port: int, path: str) -> bytes:
    """nginx's answer to a post declaring a body over its limit (it never reads the body)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"Content-Length: {3 * 1024 * 1024}\r\n\r\n".encode()
        )
        return sock.recv(4096)


def test_sixty_four_slow_clients_through_nginx_do_not_delay_a_normal_request(
    tmp_path: Path, entry: SourceCampaign
) -> None:
    began = time.monotonic()
    intake_path = f"/source/{entry.source_id}/campaign/{entry.campaign_id}/contact"
    env = {
        **server_env(os.environ.get("CELERY_BROKER_URL", "redis://127.0.0.1:6379/0")),
        # nginx connects from 127.0.0.1: the app believes its X-Forwarded-For, nobody else's.
        "TRUSTED_PROXIES": "127.0.0.1",
    }
    nginx: NginxProcess | None = None
    with harness.services() as started:
        # As docker-compose.yml runs it (sync workers, each one connection at a time), fewer.
        web = harness.start_gunicorn(
            env, tmp_path, workers=2, worker_class="sync", threads=1, timeout=30
        )
        started.append(web)
        direct = web.port or 0

        # Baseline: the same load straight at gunicorn holds both workers.
        unloaded_direct, status = timed_get(direct, timeout=10)
        assert status == 200
        with slow_load(direct, intake_path) as load:
            waited_direct, status = timed_get(direct, timeout=DIRECT_PATIENCE)
            assert set(load.states("body") + load.states("headers")) == {"hanging"}
        direct_delay = waited_direct - unloaded_direct
        assert status is None, f"gunicorn answered under the slow load in {waited_direct:.1f}s"
        assert direct_delay > DIRECT_PATIENCE - 1
        harness.wait_for_http(f"http://127.0.0.1:{direct}/health/", timeout=30)

        try:
            nginx = NginxProcess(tmp_path, f"127.0.0.1:{direct}").start()
            proxied = nginx.port
            unloaded_get, status = timed_get(proxied, timeout=10)
            assert status == 200
            unloaded_post, status, first_id = timed_post(proxied, entry, "first@example.com")
            assert status == 200
            too_large = declared_too_large(proxied, intake_path)

            with slow_load(proxied, intake_path) as load:
                loaded_get, get_status = timed_get(proxied, timeout=10)
                loaded_post, post_status, second_id = timed_post(
                    proxied, entry, "second@example.com"
                )
                hanging = load.states("body") + load.states("headers")

                # One address over the limit: the excess is refused at once, the rest wait.
                limit = config_conn_limit()
                load.open("body", limit + 8, (GREEDY_ADDRESS,))
                time.sleep(1.0)
                greedy = load.socks["body"][SLOW_EACH_KIND:]
                refused = [s.recv(512) for s in greedy if load.state(s) == "answered"]

                # Slow headers are cut off client_header_timeout after they connected.
                cutoff = load.opened_at + config_seconds("client_header_timeout") + 2.5
                time.sleep(max(0.0, cutoff - time.monotonic()))
                headers_after = load.states("headers")
        finally:
            if nginx is not None:
                nginx.stop()

    print(
        f"\nnormal GET /health/: direct {unloaded_direct:.3f}s unloaded, "
        f"{waited_direct:.3f}s+ (gave up) under 64 slow clients; through nginx "
        f"{unloaded_get:.3f}s unloaded, {loaded_get:.3f}s loaded; intake post through nginx "
        f"{unloaded_post:.3f}s unloaded, {loaded_post:.3f}s loaded"
    )
    assert get_status == 200
    assert post_status == 200
    assert loaded_get - unloaded_get < ALLOWED_DELAY
    assert loaded_post - unloaded_post < ALLOWED_DELAY
    assert set(hanging) == {"hanging"}, "the slow load was not holding its connections"

    assert too_large.startswith(b"HTTP/1.1 413 "), too_large
    assert b"application/json" in too_large
    assert len(refused) == 8
    for answer in refused:
        assert answer.startswith(b"HTTP/1.1 429 "), answer
        assert b"Retry-After: 5" in answer
        assert b'"statusCode": 429' in answer
    assert "hanging" not in headers_after

    # The intake logged the client's address as nginx saw it, not nginx's, nor the spoofed one.
    for request_id in (first_id, second_id):
        assert IntakeEvent.objects.get(request_id=request_id).client_ip == CLIENT_ADDRESS
    assert time.monotonic() - began < 60
