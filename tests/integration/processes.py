"""Real processes for integration tests and benchmarks: Redis, a Celery worker, nginx.

Each is started on a free port / in its own process group, and stopped by that id only.
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any
from urllib.parse import quote

import redis

BASE_DIR = Path(__file__).resolve().parents[2]


def database_url(*, port: int | None = None) -> str:
    """The test database as a DATABASE_URL for the processes a test starts (gunicorn, workers).

    A HOST that is a directory is a Unix socket (the embedded PostgreSQL of `make test` on a
    machine without a server): django-environ reads `postgres://user@//dir/db` as that."""
    from django.db import connection

    db = connection.settings_dict
    user = quote(db["USER"])
    password = f":{quote(db['PASSWORD'])}" if db.get("PASSWORD") else ""
    host = db.get("HOST") or "127.0.0.1"
    if host.startswith("/") and port is None:
        return f"postgres://{user}{password}@/{host}/{quote(db['NAME'])}"
    return (
        f"postgres://{user}{password}@{host}:{port or db.get('PORT') or 5432}/{quote(db['NAME'])}"
    )


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


NGINX_TEMPLATE = BASE_DIR / "deploy" / "nginx" / "contactsource.conf.template"
NGINX_INSTALL = "apt-get update && apt-get install -y nginx"


def nginx_binary() -> str:
    """Debian's nginx (in /usr/sbin, often not on a user's PATH); missing fails, never skips."""
    found = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/usr/local/sbin")
    if found is None:
        raise RuntimeError(f"nginx is missing; install it with `{NGINX_INSTALL}` (.ci/run does)")
    return found


def nginx_render(*, upstream: str, listen: int) -> str:
    """The committed server config, rendered as the nginx image's envsubst step renders it."""
    text = NGINX_TEMPLATE.read_text()
    for name, value in {"CS_UPSTREAM": upstream, "CS_LISTEN": str(listen)}.items():
        text = text.replace("${" + name + "}", value)
    assert "${" not in text, "the template uses a variable the test does not set"
    return text


class NginxProcess:
    """nginx in the foreground with the committed config in front of `upstream` (host:port).

    Its own prefix, pid file, temporary directories and logs under `workdir`; the main config
    around the committed one mirrors the nginx image's (events, then http including it).
    """

    def __init__(self, workdir: Path, upstream: str, port: int | None = None) -> None:
        self.port = port or free_port()
        self.upstream = upstream
        self.workdir = workdir / "nginx"
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def error_log(self) -> Path:
        return self.workdir / "error.log"

    def _main_config(self) -> Path:
        d = self.workdir
        (d / "contactsource.conf").write_text(
            nginx_render(upstream=self.upstream, listen=self.port)
        )
        # Workers drop to `nobody` unless told otherwise, and could not write under a private
        # tmp directory: as root, keep them root (they only ever touch this directory).
        user = f"user {pwd.getpwuid(os.geteuid()).pw_name};" if os.geteuid() == 0 else ""
        temp = "\n".join(
            f"    {kind}_temp_path {d / kind};"
            for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
        )
        config = d / "nginx.conf"
        config.write_text(
            f"""{user}
daemon off;
worker_processes 1;
pid {d / "nginx.pid"};
error_log {self.error_log} info;
events {{ worker_connections 1024; }}
http {{
    default_type application/octet-stream;
    access_log {d / "access.log"};
{temp}
    include {d / "contactsource.conf"};
}}
"""
        )
        return config

    def _listening(self) -> bool:
        if self.proc is not None and self.proc.poll() is not None:
            log = self.error_log.read_text() if self.error_log.exists() else ""
            raise RuntimeError(f"nginx exited ({self.proc.returncode}):\n{log}")
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                return True
        except OSError:
            return False

    def start(self) -> NginxProcess:
        binary = nginx_binary()
        self.workdir.mkdir(parents=True, exist_ok=True)
        config = self._main_config()
        self.proc = subprocess.Popen(
            [binary, "-p", str(self.workdir), "-e", str(self.error_log), "-c", str(config)],
            stdout=subprocess.DEVNULL,
            stderr=(self.workdir / "stderr.log").open("ab"),
            start_new_session=True,
        )
        wait_for(self._listening, timeout=15, what=f"nginx on port {self.port}")
        return self

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            # SIGTERM is nginx's fast shutdown; its workers are in the group it leads.
            with suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                with suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=15)
        self.proc = None
