"""Throttles that hold: the REST API per user and per endpoint key, intake 401/404 per address
and per source, counted in the shared cache (Redis) so every web process sees one count.

The admin login lockout and the docs token form have their own files
(test_security_login_lockout.py, test_docs_cookie.py covers the docs form's sessions).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.models import User
from django.test import Client
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from ingest.models import IntakeEvent
from sources.models import SourceCampaign
from subscriptions.services import endpoint_api_key_issue
from tests.api_clients import client_for, superuser_client
from tests.factories import CallbackEndpointFactory, CampaignFieldFactory, SourceCampaignFactory
from tests.integration.processes import database_url

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _long_windows(settings: Any) -> None:
    """Counts are kept in fixed windows: tests use day-long ones and start well inside one, so
    no test's requests straddle a boundary (where the count starts again)."""
    settings.AUTH_FAILURE_WINDOW_SECONDS = 86400
    left = 86400 - time.time() % 86400
    if left < 120:
        time.sleep(left + 0.1)


def _rates(settings: Any, **rates: str) -> None:
    merged = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], **rates}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": merged}


def _key_client(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


@pytest.fixture
def entry(db: None) -> SourceCampaign:
    entry: SourceCampaign = SourceCampaignFactory.create()
    CampaignFieldFactory.create(campaign=entry.campaign, key="email", type="email")
    return entry


def post(
    entry: SourceCampaign, token: str, *, address: str = "127.0.0.1", source_id: object = None
) -> Any:
    source = entry.source_id if source_id is None else source_id
    return Client().post(
        f"/source/{source}/campaign/{entry.campaign_id}/contact",
        json.dumps({"email": "someone@example.com"}),
        content_type="application/json",
        headers={"token": token} if token else {},
        REMOTE_ADDR=address,
    )


# --- REST API -------------------------------------------------------------------------------


def test_the_default_rates_are_bounded_for_users_and_endpoint_keys():
    rates = django_settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    assert rates == {"user": "1200/min", "endpoint_key": "600/min"}


def test_it_answers_429_with_retry_after_once_a_user_is_over_the_rate(settings):
    _rates(settings, user="5/day")
    client = superuser_client()

    codes = [client.get("/api/v1/campaigns/").status_code for _ in range(5)]
    refused = client.get("/api/v1/campaigns/")

    assert codes == [200] * 5
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 86400
    assert "Request was throttled" in refused.json()["detail"]


def test_it_throttles_a_crm_key_per_endpoint_not_as_an_anonymous_address(settings):
    _rates(settings, endpoint_key="3/day", user="1000/day")
    first = _key_client(endpoint_api_key_issue(endpoint_id=CallbackEndpointFactory.create().pk))
    second = _key_client(endpoint_api_key_issue(endpoint_id=CallbackEndpointFactory.create().pk))
    url = "/api/v1/persons/external/nobody/"

    codes = [first.get(url).status_code for _ in range(3)]
    refused = first.get(url)

    assert codes == [404] * 3
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) >= 1
    # Another endpoint from the same address has its own count.
    assert second.get(url).status_code == 404


def test_an_endpoint_key_is_held_to_its_own_rate_not_the_users(settings):
    _rates(settings, endpoint_key="2/day", user="1000/day")
    crm = _key_client(endpoint_api_key_issue(endpoint_id=CallbackEndpointFactory.create().pk))

    codes = [crm.get("/api/v1/persons/external/nobody/").status_code for _ in range(3)]

    assert codes == [404, 404, 429]


def test_the_schema_documents_429_with_retry_after_on_every_api_operation():
    schema = Client().get("/api/schema/?format=json").json()
    operations = [
        op
        for path, item in schema["paths"].items()
        if path.startswith("/api/v1/")
        for method, op in item.items()
        if method in ("get", "post", "put", "patch", "delete")
    ]

    assert operations
    for op in operations:
        assert "Retry-After" in op["responses"]["429"]["headers"], op["operationId"]


# --- Across processes -----------------------------------------------------------------------

CHILD = """
import json, os, sys
from django.conf import settings
settings.CACHES["default"]["KEY_PREFIX"] = os.environ["CHILD_CACHE_PREFIX"]
import django
django.setup()
from django.test import Client
request = json.loads(sys.argv[1])
response = Client().generic(
    request["method"], request["path"], request.get("body", ""),
    content_type="application/json", headers=request.get("headers", {}),
)
print(response.status_code, response.get("Retry-After", ""))
"""


def _from_another_process(method: str, path: str, **request: Any) -> tuple[int, str]:
    """One request answered by a fresh Python process on the same database and cache."""
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "CHILD_CACHE_PREFIX": django_settings.CACHES["default"]["KEY_PREFIX"],
        "SECRET_KEY": django_settings.SECRET_KEY,
        "DJANGO_SETTINGS_MODULE": "contactsource.settings",
    }
    env.update({k: str(v) for k, v in request.pop("env", {}).items()})
    payload = json.dumps({"method": method, "path": path, **request})
    result = subprocess.run(
        [sys.executable, "-c", CHILD, payload],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=True,
    )
    status, _, retry_after = result.stdout.strip().splitlines()[-1].partition(" ")
    return int(status), retry_after


@pytest.mark.django_db(transaction=True)
def test_the_api_rate_holds_across_processes(settings):
    _rates(settings, user="3/day")
    user = User.objects.create_superuser("across", "across@example.com", None)
    token = Token.objects.create(user=user).key
    client = client_for(user)
    assert [client.get("/api/v1/campaigns/").status_code for _ in range(3)] == [200] * 3

    status, retry_after = _from_another_process(
        "GET",
        "/api/v1/campaigns/",
        headers={"Authorization": f"Token {token}"},
        env={"API_THROTTLE_USER": "3/day"},
    )

    assert status == 429
    assert int(retry_after) >= 1


@pytest.mark.django_db(transaction=True)
def test_intake_failures_count_across_processes(settings):
    settings.AUTH_FAILURE_LIMIT_PER_ADDRESS = 2
    entry = SourceCampaignFactory.create()
    CampaignFieldFactory.create(campaign=entry.campaign, key="email", type="email")
    assert [post(entry, "wrong").status_code for _ in range(2)] == [401, 401]

    status, retry_after = _from_another_process(
        "POST",
        f"/source/{entry.source_id}/campaign/{entry.campaign_id}/contact",
        body=json.dumps({"email": "a@example.com"}),
        headers={"token": "wrong-again"},
        env={"AUTH_FAILURE_LIMIT_PER_ADDRESS": 2, "AUTH_FAILURE_WINDOW_SECONDS": 86400},
    )

    assert status == 429
    assert int(retry_after) >= 1


# --- Intake: failed authentications ---------------------------------------------------------


def test_after_too_many_wrong_tokens_an_address_gets_429_before_any_check(settings, entry):
    settings.AUTH_FAILURE_LIMIT_PER_ADDRESS = 3
    before = IntakeEvent.objects.count()

    codes = [post(entry, "wrong").status_code for _ in range(3)]
    refused = post(entry, "wrong")
    # Blocked before the token is looked at: even the right one waits.
    right_token_blocked = post(entry, entry.source.token)

    assert codes == [401, 401, 401]
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= settings.AUTH_FAILURE_WINDOW_SECONDS
    body = refused.json()
    assert body["success"] is False
    assert body["status"] == "invalid"
    assert "Too many requests with a missing or wrong token" in body["errors"]["429"]
    assert right_token_blocked.status_code == 429
    # One IntakeEvent per request, the refused ones included.
    assert IntakeEvent.objects.count() == before + 5
    assert list(IntakeEvent.objects.order_by("-id").values_list("http_status", flat=True)[:2]) == [
        429,
        429,
    ]


def test_a_valid_vendor_at_another_address_is_unaffected(settings, entry):
    settings.AUTH_FAILURE_LIMIT_PER_ADDRESS = 2
    for _ in range(3):
        post(entry, "wrong", address="203.0.113.9")

    response = post(entry, entry.source.token, address="198.51.100.7")

    assert response.status_code == 200, response.json()


def test_missing_tokens_and_unknown_sources_count_as_failures(settings, entry):
    settings.AUTH_FAILURE_LIMIT_PER_ADDRESS = 3

    codes = [
        post(entry, "").status_code,
        post(entry, "x", source_id=999999).status_code,
        post(entry, "x", source_id="abc").status_code,
        post(entry, "x", source_id=999998).status_code,
    ]

    assert codes == [401, 404, 404, 429]


def test_a_source_flooded_from_many_addresses_answers_429_to_wrong_tokens_only(settings, entry):
    settings.AUTH_FAILURE_LIMIT_PER_SOURCE = 3
    token = entry.source.token

    codes = [post(entry, "wrong", address=f"192.0.2.{i}").status_code for i in range(1, 5)]
    valid = post(entry, token, address="192.0.2.50")

    assert codes == [401, 401, 401, 429]
    # The source is never blocked before the token check: its vendor still gets in.
    assert valid.status_code == 200, valid.json()


def test_a_success_does_not_reset_the_count(settings, entry):
    settings.AUTH_FAILURE_LIMIT_PER_ADDRESS = 2
    token = entry.source.token

    codes = [post(entry, "wrong").status_code, post(entry, token).status_code]
    codes += [post(entry, "wrong").status_code, post(entry, "wrong").status_code]

    assert codes == [401, 200, 401, 429]


def test_the_batch_route_is_throttled_the_same_way(settings, entry):
    settings.AUTH_FAILURE_LIMIT_PER_ADDRESS = 1
    url = f"/source/{entry.source_id}/campaign/{entry.campaign_id}/contacts"
    body = json.dumps({"contacts": [{"email": "a@example.com"}]})

    def batch() -> Any:
        return Client().post(url, body, content_type="application/json", headers={"token": "no"})

    assert [batch().status_code, batch().status_code, batch().status_code] == [401, 429, 429]


def test_under_the_limit_the_check_order_is_unchanged(settings, entry):
    settings.AUTH_FAILURE_LIMIT_PER_ADDRESS = 3

    empty = Client().post(
        f"/source/{entry.source_id}/campaign/{entry.campaign_id}/contact",
        "{}",
        content_type="application/json",
        headers={"token": "wrong"},
    )

    assert empty.status_code == 418  # an empty post is refused before the token, as before


def test_an_accepted_post_makes_no_cache_call(entry, monkeypatch):
    from django.core.cache.backends.base import BaseCache
    from django.core.cache.backends.redis import RedisCache

    calls: list[str] = []
    for name in ("get", "set", "add", "incr", "delete", "get_many", "set_many", "has_key"):
        original = getattr(RedisCache, name, None) or getattr(BaseCache, name)

        def counted(self: Any, *args: Any, _name: str = name, _f: Any = original, **kw: Any) -> Any:
            calls.append(_name)
            return _f(self, *args, **kw)

        monkeypatch.setattr(RedisCache, name, counted)

    response = post(entry, entry.source.token)

    assert response.status_code == 200, response.json()
    assert calls == []


def test_a_cache_that_is_down_fails_open_never_500(settings, entry):
    settings.AUTH_FAILURE_LIMIT_PER_ADDRESS = 1
    _rates(settings, user="1/day")
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{port}/0",
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }

    failures = [post(entry, "wrong").status_code for _ in range(3)]
    accepted = post(entry, entry.source.token)
    api = [superuser_client().get("/api/v1/campaigns/").status_code for _ in range(2)]

    assert failures == [401, 401, 401]
    assert accepted.status_code == 200
    assert api == [200, 200]
