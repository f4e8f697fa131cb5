"""Real processes for integration tests and benchmarks: a private Redis and a Celery worker.

Each is started on a free port / in its own process group, and stopped by that id only.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import redis

BASE_DIR = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(predicate: object, *, timeout: float, interval: float = 0.1, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return
        time.sleep(interval)
    raise TimeoutError(f"gave up waiting {timeout:g}s for {what or predicate}")


class RedisProcess:
    """redis-server on its own port, no persistence: stopping it loses every queued task."""

    def __init__(self, workdir: Path, port: int | None = None) -> None:
        self.port = port or free_port()
        self.workdir = workdir
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def ping(self) -> bool:
        try:
            return bool(redis.Redis(port=self.port, socket_connect_timeout=0.5).ping())
        except redis.exceptions.ConnectionError:
            return False

    def start(self) -> RedisProcess:
        self.proc = subprocess.Popen(
            [
                "redis-server",
                *("--port", str(self.port), "--bind", "127.0.0.1"),
                *("--save", "", "--appendonly", "no", "--dir", str(self.workdir)),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        wait_for(self.ping, timeout=15, what=f"redis on port {self.port}")
        return self

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=15)
        self.proc = None


class WorkerProcess:
    """`celery -A contactsource worker` (with embedded beat) in its own process group."""

    def __init__(
        self,
        env: dict[str, str],
        log_path: Path,
        *,
        concurrency: int = 4,
        beat: bool = True,
        pool: str = "threads",
    ) -> None:
        self.env = env
        self.log_path = log_path
        self.concurrency = concurrency
        self.beat = beat
        self.pool = pool
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> WorkerProcess:
        command = [sys.executable, "-m", "celery", "-A", "contactsource", "worker"]
        command += [f"--pool={self.pool}", f"--concurrency={self.concurrency}"]
        command += ["--loglevel=INFO", "--without-gossip", "--without-mingle"]
        if self.beat:
            schedule = self.log_path.with_suffix(".beat-schedule")
            command += ["--beat", f"--schedule={schedule}"]
        self._log_offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            command,
            cwd=BASE_DIR,
            env={**os.environ, **self.env},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        # Generous: on a busy 2-core machine a cold worker takes tens of seconds to import.
        wait_for(self._ready, timeout=180, what="the celery worker to be ready")
        return self

    def _ready(self) -> bool:
        if self.proc is not None and self.proc.poll() is not None:
            raise RuntimeError(f"celery worker exited; see {self.log_path}")
        text = self.log_path.read_bytes()[self._log_offset :]
        return b"ready." in text

    def _signal_group(self, sig: signal.Signals) -> None:
        # The group is the one start_new_session made for this worker (its beat is a child).
        assert self.proc is not None
        with suppress(ProcessLookupError):
            os.killpg(self.proc.pid, sig)

    def kill(self) -> None:
        """SIGKILL mid-work, as an OOM killer or a lost machine would."""
        if self.proc is not None:
            self._signal_group(signal.SIGKILL)
            self.proc.wait(timeout=15)
        self.proc = None

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self._signal_group(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self._signal_group(signal.SIGKILL)
                self.proc.wait(timeout=15)
        self.proc = None


@contextmanager
def celery_publishing_to(url: str) -> Iterator[None]:
    """Point this process's Celery producer at another broker for the duration."""
    from contactsource.celery import app

    conf: Any = app.conf  # the stubs make broker_url read-only; Celery's conf is a mapping
    reset: Any = app._after_fork  # type: ignore[attr-defined]  # drops the connection pools
    previous = conf.broker_url
    # Celery reads CELERY_BROKER_URL from the environment before its own setting (`make test`
    # sets it), so both must point at `url`, or publishes still go to the suite's broker.
    previous_env = os.environ.get("CELERY_BROKER_URL")
    os.environ["CELERY_BROKER_URL"] = url
    conf.broker_url = url
    reset()  # the next publish connects to `url`
    try:
        yield
    finally:
        if previous_env is None:
            os.environ.pop("CELERY_BROKER_URL", None)
        else:
            os.environ["CELERY_BROKER_URL"] = previous_env
        conf.broker_url = previous
        reset()
