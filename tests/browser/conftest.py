"""Browser tests: Playwright for Python driving Debian's chromium (never a downloaded browser).

Screenshots go to $SCREENSHOTS_DIR when it is set (`make screenshots` sets docs/screenshots),
otherwise to the test's temporary folder.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.integration.processes import (
    RedisProcess,
    WorkerProcess,
    celery_publishing_to,
    database_url,
)


@pytest.fixture(autouse=True)
def chromium_checked_first(chromium: str) -> str:
    """Before any server or worker starts (tests/conftest.py's fixture fails if it is missing)."""
    return chromium


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1440, "height": 1000})
    context.set_default_timeout(30_000)
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture
def screenshots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("SCREENSHOTS_DIR") or tmp_path / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def import_worker(
    tmp_path: Path, transactional_db: None, monkeypatch: pytest.MonkeyPatch
) -> Iterator[WorkerProcess]:
    """A real Celery worker on a private Redis, reading the test database; this process
    (and the live server's thread) publish to that Redis meanwhile."""
    redis = RedisProcess(tmp_path).start()
    # Celery reads CELERY_BROKER_URL from the environment before its configuration (make test
    # sets it), so the variable has to point at this Redis too.
    monkeypatch.setenv("CELERY_BROKER_URL", redis.url)
    env = {
        "DATABASE_URL": database_url(),
        "CELERY_BROKER_URL": redis.url,
        "SECRET_KEY": "browser-test-only",
        "DEBUG": "false",
        # Small chunks, so the progress bar has steps to show.
        "IMPORT_CHUNK_ROWS": "25",
    }
    worker = WorkerProcess(env, tmp_path / "worker.log", concurrency=1, beat=False)
    try:
        worker.start()
        with celery_publishing_to(redis.url):
            yield worker
    finally:
        worker.stop()
        redis.stop()
