from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlencode

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.test import Client

from contactsource.auth_failures import local_blocks_clear
from ingest.fieldspecs import digest_caches_clear
from ingest.services.store import MERGES
from sources.models import SourceCampaign
from tests.factories import CampaignFieldFactory, SourceCampaignFactory

# Debian's chromium (never a browser Playwright downloads); `make test` installs it first, or
# stops before pytest with the command to run.
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def pytest_configure(config: pytest.Config) -> None:
    # In CI the suite must run on PostgreSQL: a missing server fails the run, never skips it.
    engine = settings.DATABASES["default"]["ENGINE"]
    if os.environ.get("CI") == "true" and "postgresql" not in engine:
        raise pytest.UsageError(f"CI=true needs DATABASE_URL to point at PostgreSQL, not {engine}")
    # The production hasher spends a deliberate ~0.3 s per password; the suite creates and signs
    # in hundreds of users, and no test is about the hash's strength.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Throttle counters, lockouts and docs sessions live in a cache that other test processes
    # (xdist workers, other checkouts on this machine) share: each process gets its own keys.
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    database = settings.DATABASES["default"]["NAME"]
    prefix = settings.CACHES["default"].get("KEY_PREFIX", "")
    settings.CACHES["default"]["KEY_PREFIX"] = f"{prefix}test:{database}:{worker}"


@pytest.fixture
def chromium() -> str:
    """The browser's path; missing, the test fails with the command to run (never a skip)."""
    path = shutil.which(CHROMIUM) or (CHROMIUM if os.access(CHROMIUM, os.X_OK) else None)
    if path is None:
        pytest.fail(
            f"chromium not found at {CHROMIUM}: `make test` installs it (as root), or run "
            "`sudo apt-get install -y chromium` (or set CHROMIUM_PATH)",
            pytrace=False,
        )
    return path


@pytest.fixture
def browser(chromium: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A headless chromium driven by Playwright, closed after the test."""
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the test's own ORM calls are
    # ordinary blocking calls between browser steps, which Django would otherwise refuse.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    """pytest-django's test databases, and before they are dropped, an end to any session a
    server thread left open on them: the live server's request threads are daemons, and one
    abandoned mid-request at shutdown keeps its connection, which made the drop fail ("being
    accessed by other users") and left the database behind."""
    yield
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
    connection.close()


@pytest.fixture(autouse=True)
def _cache_isolated() -> None:
    """Every test starts with no throttle counts, lockouts or docs sessions: one test's failed
    logins must never throttle another's."""
    _cache_clear()
    local_blocks_clear()
    # The intake's per-process caches too: a migration test re-creates tables, so a later test's
    # campaign may get an id an earlier test's campaign had (and its cached rows).
    digest_caches_clear()
    # And the share of recent posts that merged: above its limit, posts skip the one-go write.
    MERGES.value = 0.0


def _cache_clear() -> None:
    prefix = settings.CACHES["default"]["KEY_PREFIX"]
    if not settings.CACHES["default"]["BACKEND"].endswith("RedisCache"):
        cache.clear()
        return
    # Never FLUSHDB: the Redis database may be shared (the Celery broker, other processes).
    client = cache._cache.get_client(None, write=True)  # type: ignore[attr-defined]
    keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
    if keys:
        client.delete(*keys)


@pytest.fixture
def entry(db: None) -> SourceCampaign:
    """A published source whitelisted for a published campaign with an email field."""
    entry: SourceCampaign = SourceCampaignFactory.create()
    CampaignFieldFactory(campaign=entry.campaign, key="email", type="email", required=False)
    return entry


@pytest.fixture
def post_contact(client: Client) -> Callable[..., Any]:
    """POST to the intake as a vendor would; returns the response with `.data` (the JSON)."""

    def post(
        entry: SourceCampaign,
        data: dict[str, Any] | None = None,
        *,
        as_json: bool = True,
        token: str | None = None,
        path_suffix: str = "/contact",
        **headers: str,
    ) -> Any:
        url = f"/source/{entry.source_id}/campaign/{entry.campaign_id}{path_suffix}"
        source_token = token if token is not None else entry.source.token  # type: ignore[attr-defined]
        if source_token:
            headers.setdefault("token", source_token)
        if as_json:
            response = client.post(
                url, json.dumps(data or {}), content_type="application/json", headers=headers
            )
        else:
            response = client.post(
                url,
                urlencode(data or {}, doseq=True),
                content_type="application/x-www-form-urlencoded",
                headers=headers,
            )
        response.data = response.json()  # type: ignore[attr-defined]
        return response

    return post


@pytest.fixture
def persistent_connection(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """One connection for every request, as CONN_MAX_AGE gives in production: a test of the
    intake's statements on the wire sees its own traffic, not a new connection's handshake."""
    monkeypatch.setitem(connection.settings_dict, "CONN_MAX_AGE", None)
    connection.close()
    yield
    connection.close()


@pytest.fixture
def person_entry(db: None) -> SourceCampaign:
    """A whitelist entry whose campaign takes email, phone, mobile and names (for persons)."""
    entry: SourceCampaign = SourceCampaignFactory.create()
    for key, type_ in [
        ("email", "email"),
        ("phone", "tel"),
        ("mobile", "tel"),
        ("firstname", "text"),
        ("lastname", "text"),
    ]:
        CampaignFieldFactory(campaign=entry.campaign, key=key, type=type_, required=False)
    return entry


@pytest.fixture
def private_callbacks(settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Callbacks may reach local receivers; `*.test` names resolve to this machine, so respx
    stand-ins (`tests.callback_doubles.callback_route`) get the checked, pinned request."""
    from tests.callback_doubles import dot_test_names_resolve_here

    settings.CALLBACK_ALLOW_PRIVATE = True
    dot_test_names_resolve_here(monkeypatch)


@pytest.fixture
def marketer(db: None) -> Any:
    """A staff user in the "marketer" group (created by migrate), and nothing more."""
    from django.contrib.auth.models import Group, User

    user = User.objects.create_user("marketer", password="marketer-password", is_staff=True)
    user.groups.add(Group.objects.get(name="marketer"))
    return user


@pytest.fixture
def marketer_client(client: Client, marketer: Any) -> Client:
    client.force_login(marketer)
    return client
