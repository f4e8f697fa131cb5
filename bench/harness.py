"""Processes for the benchmarks: gunicorn, Redis, a Celery worker, wrk; ports and peak memory.

Everything started here runs in its own process group and is stopped by its pid, never by name.
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent

# One gunicorn configuration for both sides of every comparison (docs/benchmarks.md says why).
GUNICORN_WORKERS = int(os.environ.get("BENCH_GUNICORN_WORKERS", "2"))
GUNICORN_THREADS = int(os.environ.get("BENCH_GUNICORN_THREADS", "4"))
GUNICORN_CLASS = os.environ.get("BENCH_GUNICORN_CLASS", "gthread")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
            return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {timeout:.0f}s")


def wait_for_http(url: str, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except urllib.error.HTTPError:
            return  # it answers: good enough
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer after {timeout:.0f}s")


def descendants(pid: int) -> list[int]:
    """pid and every process below it (from /proc, no extra dependency)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(children.get(current, []))
    return found


def cpu_seconds(pids: list[int]) -> dict[int, float]:
    """Each live process's user + system CPU seconds so far (fields 14 and 15 of its stat)."""
    ticks = os.sysconf("SC_CLK_TCK")
    found = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # gone
        found[pid] = (int(fields[11]) + int(fields[12])) / ticks
    return found


def cpu_spent(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU seconds between two samples; a process started since counts whole. One that ended
    since is lost (a database connection closed after CONN_MAX_AGE, say): a slight undercount."""
    return sum(cpu - before.get(pid, 0.0) for pid, cpu in after.items())


def peak_rss_mib(pid: int) -> float:
    """The kernel's high-water mark of resident memory (VmHWM) for one process, in MiB."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


@dataclass
class Service:
    name: str
    process: subprocess.Popen[bytes]
    log_path: Path
    port: int | None = None
    peaks: dict[int, float] = field(default_factory=dict)

    def sample_memory(self) -> dict[int, float]:
        """Remember each process's peak RSS (children come and go; keep the highest seen)."""
        for pid in descendants(self.process.pid):
            self.peaks[pid] = max(self.peaks.get(pid, 0.0), peak_rss_mib(pid))
        return self.peaks

    def memory_report(self) -> dict[str, float]:
        self.sample_memory()
        master = self.peaks.get(self.process.pid, 0.0)
        others = [mib for pid, mib in self.peaks.items() if pid != self.process.pid]
        return {
            "main_peak_mib": round(master, 1),
            "child_peak_mib": round(max(others, default=0.0), 1),
            "children": len(others),
        }

    def stop(self, timeout: float = 20.0) -> None:
        if self.process.poll() is not None:
            return
        self.sample_memory()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(5)


def start(
    name: str, argv: list[str], env: dict[str, str], logs: Path, *, cwd: Path = ROOT
) -> Service:
    logs.mkdir(parents=True, exist_ok=True)
    log_path = logs / f"{name}.log"
    log = log_path.open("ab")
    process = subprocess.Popen(
        argv, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    return Service(name, process, log_path)


def start_gunicorn(
    env: dict[str, str],
    logs: Path,
    name: str = "gunicorn",
    *,
    workers: int = GUNICORN_WORKERS,
    worker_class: str = GUNICORN_CLASS,
    threads: int = GUNICORN_THREADS,
    timeout: int = 60,
    root: Path | None = None,
) -> Service:
    """This checkout's app, or `root`'s (another checkout with its own .venv: bench.paired)."""
    port = free_port()
    argv = [
        str(root / ".venv" / "bin" / "gunicorn" if root is not None else BIN / "gunicorn"),
        "contactsource.wsgi:application",
        f"--bind=127.0.0.1:{port}",
        f"--workers={workers}",
        f"--worker-class={worker_class}",
        # More than one thread turns a sync worker into gthread: pass threads=1 for sync.
        f"--threads={threads}",
        "--keep-alive=5",
        "--backlog=2048",
        f"--timeout={timeout}",
    ]
    service = start(name, argv, env, logs, cwd=root or ROOT)
    service.port = port
    wait_for_http(f"http://127.0.0.1:{port}/health/")
    return service


def start_redis(logs: Path) -> Service:
    port = free_port()
    argv = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", ""]
    argv += ["--appendonly", "no", "--daemonize", "no"]
    service = start("redis", argv, dict(os.environ), logs)
    service.port = port
    wait_for_port(port)
    return service


def start_worker(env: dict[str, str], logs: Path, *, concurrency: int, pool: str) -> Service:
    argv = [str(BIN / "celery"), "-A", "contactsource", "worker", "--loglevel=WARNING"]
    argv += [f"--concurrency={concurrency}", f"--pool={pool}", "--without-gossip"]
    argv += ["--without-mingle", "--without-heartbeat"]
    return start("worker", argv, env, logs)


def run_wrk(
    url: str,
    *,
    run: int,
    token: str,
    seconds: int,
    connections: int,
    threads: int = 1,
) -> dict[str, float]:
    argv = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout", "5s"]
    argv += ["-s", str(ROOT / "bench" / "intake.lua"), url, "--", str(run), token]
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 60, check=True)
    spent = resource.getrusage(resource.RUSAGE_CHILDREN)
    for line in done.stdout.splitlines():
        if line.startswith("BENCH_JSON "):
            result: dict[str, float] = json.loads(line.removeprefix("BENCH_JSON "))
            # wrk is the only child this call waits for: the difference is its CPU.
            result["wrk_cpu_s"] = round(
                spent.ru_utime + spent.ru_stime - children.ru_utime - children.ru_stime, 3
            )
            return result
    raise RuntimeError(f"wrk printed no result:\n{done.stdout}\n{done.stderr}")


@contextlib.contextmanager
def services() -> Iterator[list[Service]]:
    """Stop whatever the block started, whatever happens inside it."""
    started: list[Service] = []
    try:
        yield started
    finally:
        for service in reversed(started):
            service.stop()


def gunicorn_description() -> str:
    return (
        f"gunicorn --workers={GUNICORN_WORKERS} --worker-class={GUNICORN_CLASS} "
        f"--threads={GUNICORN_THREADS} --keep-alive=5 --backlog=2048"
    )
