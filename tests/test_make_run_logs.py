"""`make run` starts without a warning, and logs each request warning once (issue 15, item 6).

Every `django.request` warning was logged twice (Django's own "django" console handler and the
root one), and kombu warned "No hostname was supplied" four times at start. These tests start
what `make run` starts, as it starts it: the processes of Procfile.dev under honcho, with the
environment of the Makefile's RUN_ENV (read from the Makefile, so they follow it), on the test
database and private folders; then they read what the processes print.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import suppress
from pathlib import Path

import pytest

from tests.integration.processes import BASE_DIR, database_url, free_port, wait_for

# The processes write to the test database (the 405 logs its event): real transactions, so the
# tables are emptied afterwards.
pytestmark = pytest.mark.django_db(transaction=True)

# A log line at WARNING or above ("… WARNING name message"), or a Python warning
# ("…: SomethingWarning: …", "WARNING: …").
WARNING = re.compile(r"\b(WARNING|ERROR|CRITICAL)\b|\w+Warning:")
# Celery warns whenever a worker runs as root, rightly; this suite runs as root in CI and on
# its build machine, where that warning says nothing about the configuration.
AS_ROOT = "SecurityWarning: You're running the worker with superuser privileges"


def run_env(workdir: Path, web_port: int) -> dict[str, str]:
    """The Makefile's RUN_ENV, with $(CURDIR) a private folder and $(WEB_PORT) a free port."""
    makefile = (BASE_DIR / "Makefile").read_text()
    match = re.search(r"^RUN_ENV :=((?:.*\\\n)*.*)$", makefile, re.M)
    assert match, "no RUN_ENV in the Makefile"
    words = match.group(1).replace("\\\n", " ").split()
    env = {}
    for word in words:
        name, _, value = word.partition("=")
        value = value.replace("$(CURDIR)", str(workdir)).replace("$(WEB_PORT)", str(web_port))
        assert "$(" not in value, f"RUN_ENV's {name} uses a variable this test does not know"
        env[name] = value
    return env


def process_env(workdir: Path) -> dict[str, str]:
    web_port = free_port()
    return {
        "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin",
        "HOME": str(workdir),
        "LANG": "C.UTF-8",
        "PYTHONUNBUFFERED": "1",
        **run_env(workdir, web_port),
        "DATABASE_URL": database_url(),
        "RECEIVER_PORT": str(free_port()),
        # make run keeps these under var/; here they stay out of the checkout.
        "CACHE_URL": f"filecache://{workdir / 'cache'}",
        "CELERY_BEAT_SCHEDULE_FILENAME": str(workdir / "celerybeat-schedule"),
    }


class Output:
    """What a process group prints, read from the file it writes to."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def text(self) -> str:
        return self.path.read_text(errors="replace")

    def warnings(self, start: int = 0, end: int | None = None) -> list[str]:
        lines = self.text()[start:end].splitlines()
        return [line for line in lines if WARNING.search(line) and not _as_root(line)]


def _as_root(line: str) -> bool:
    return os.geteuid() == 0 and AS_ROOT in line


@pytest.fixture
def make_run(tmp_path: Path) -> Iterator[tuple[str, Output]]:
    """honcho with Procfile.dev, as `make run` starts it after migrating; stopped by its own
    process group when the test ends. Yields the web server's URL and the output."""
    env = process_env(tmp_path)
    output = Output(tmp_path / "honcho.log")
    with output.path.open("wb") as log:
        proc = subprocess.Popen(
            [str(Path(sys.executable).parent / "honcho"), "-f", "Procfile.dev", "start"],
            cwd=BASE_DIR,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{env['WEB_PORT']}"
    try:
        wait_for(lambda: _answers(url, proc), timeout=120, what="make run's web server")
        wait_for(
            lambda: "ready." in output.text() and "beat: Starting" in output.text(),
            timeout=120,
            what="make run's worker and beat",
        )
        yield url, output
    finally:
        with suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            with suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=15)


def _answers(url: str, proc: subprocess.Popen[bytes]) -> bool:
    assert proc.poll() is None, "make run's processes stopped"
    try:
        with urllib.request.urlopen(f"{url}/", timeout=2) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False


def _request(url: str, method: str = "GET") -> int:
    request = urllib.request.Request(url, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return error.code


def test_make_run_starts_without_a_warning_and_logs_each_request_warning_once(make_run):
    url, output = make_run
    time.sleep(2)  # the first seconds after the processes said they were ready
    started = len(output.text())

    assert output.warnings(end=started) == []
    # The web server ran the system checks (`manage.py check`) at start, quietly.
    assert "System check identified no issues" in output.text()[:started]

    assert _request(f"{url}/no-such-page/") == 404
    assert _request(f"{url}/source/1/campaign/1/contact", "DELETE") == 405
    wait_for(lambda: "Method Not Allowed" in output.text()[started:], timeout=20, what="the log")
    time.sleep(1)  # a second copy would follow at once
    # Each request's warning once (in any format: Django's own console handler wrote a second,
    # unformatted copy), and the development server's access line once; no other warning.
    lines = output.text()[started:].splitlines()
    for message in (
        "Not Found: /no-such-page/",
        "Method Not Allowed: /source/1/campaign/1/contact",
        '"GET /no-such-page/ HTTP/1.1" 404',
        '"DELETE /source/1/campaign/1/contact HTTP/1.1" 405',
    ):
        assert len([line for line in lines if message in line]) == 1, (message, lines)
    assert len(output.warnings(start=started)) == 4, lines
