"""Real requests that draw each refusal of the intake's catalogue (ingest/errors.py) from the
intake, through its routes, as the partner docs page's errors tables promise
(tests/test_docs_errors_agree.py)."""

from __future__ import annotations

import json
import socket
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from io import BytesIO
from typing import Any

from django.conf import settings
from django.db import connection
from django.test import Client
from django.utils import timezone

from sources.models import SourceCampaign
from tests.factories import (
    CampaignFactory,
    CampaignFieldFactory,
    CapFactory,
    SourceCampaignFactory,
    SourceFactory,
)

SINGLE, BATCH = "single", "batch"


@dataclass(frozen=True)
class Answer:
    route: str  # the route the request went to
    http_status: int
    status: str
    errors: dict[str, str]


@dataclass
class World:
    client: Client
    entry: SourceCampaign  # its campaign requires an email

    @property
    def url(self) -> str:
        return f"/source/{self.entry.source_id}/campaign/{self.entry.campaign_id}/contact"

    @property
    def token(self) -> str:
        return str(self.entry.source.token)  # type: ignore[attr-defined]

    def post(self, body: Any, *, url: str | None = None, **options: Any) -> Answer:
        """A POST with the token header; `body` as JSON unless it is bytes or a string."""
        options.setdefault("content_type", "application/json")
        headers = {"token": self.token, **options.pop("headers", {})}
        raw = body if isinstance(body, str | bytes) else json.dumps(body)
        response = self.client.post(url or self.url, raw, headers=headers, **options)
        return answer_of(response, BATCH if url == self.url + "s" else SINGLE)

    def batch(self, body: Any, **options: Any) -> Answer:
        return self.post(body, url=self.url + "s", **options)


def answer_of(response: Any, route: str = SINGLE) -> Answer:
    body = response.json()
    assert body["statusCode"] == response.status_code
    return Answer(route, response.status_code, body["status"], body["errors"] or {})


def an_entry(*, required: bool = True) -> SourceCampaign:
    entry: SourceCampaign = SourceCampaignFactory.create()
    CampaignFieldFactory(campaign=entry.campaign, key="email", type="email", required=required)
    return entry


CONTACT = {"email": "ada@example.com"}


def too_many_failures(w: World) -> Answer:
    # From an address of its own, so the other requests here are not blocked.
    settings.AUTH_FAILURE_LIMIT_PER_ADDRESS = 2
    answers = [
        w.post(CONTACT, headers={"token": "wrong"}, REMOTE_ADDR="203.0.113.77") for _ in range(3)
    ]
    assert [a.http_status for a in answers] == [401, 401, 429]
    return answers[-1]


def length_required(w: World) -> Answer:
    environ: dict[str, Any] = {"wsgi.input": BytesIO(json.dumps(CONTACT).encode())}
    response = w.client.generic(
        "POST",
        w.url,
        b"",
        headers={"token": w.token},
        CONTENT_TYPE="application/json",
        HTTP_TRANSFER_ENCODING="chunked",
        **environ,
    )
    return answer_of(response)


def nothing_usable(w: World) -> Answer:
    """Only tracking fields, to a campaign that requires nothing."""
    w.entry = an_entry(required=False)
    return w.post({"ip": "203.0.113.7", "utm_source": "news"})


def _many_parameters() -> str:
    return "?" + "&".join(f"p{n}=1" for n in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1))


def too_large(w: World) -> Answer:
    return w.post("x" * (settings.INTAKE_MAX_BODY_BYTES + 1))


def batch_too_large(w: World) -> Answer:
    return w.batch("x" * (settings.INTAKE_MAX_BATCH_BODY_BYTES + 1))


def too_many_fields(w: World) -> Answer:
    return w.post({f"f{n}": "x" for n in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1)})


def malformed_multipart(w: World) -> Answer:
    body = b"--nope\r\nContent-Disposition: form-data\r\n\r\nx\r\n"
    return w.post(body, content_type="multipart/form-data; boundary=")


def idempotency_key_reused(w: World) -> Answer:
    key = {"Idempotency-Key": "lead-1"}
    assert w.post(CONTACT, headers=key).http_status == 200
    return w.post({"email": "grace@example.com"}, headers=key)


def duplicate(w: World) -> Answer:
    assert w.post(CONTACT).http_status == 200
    return w.post(CONTACT)


def limited(w: World) -> Answer:
    CapFactory.create(campaign=w.entry.campaign, limit=1, duration="day")
    assert w.post({"email": "first@example.com"}).http_status == 200
    return w.post({"email": "second@example.com"})


def on_entry(change: Callable[[SourceCampaign], None]) -> Callable[[World], Answer]:
    """A contact posted after `change` was made to the entry, its source or its campaign."""

    def scenario(w: World) -> Answer:
        change(w.entry)
        for row in (w.entry.source, w.entry.campaign, w.entry):
            row.save()
        return w.post(CONTACT)

    return scenario


def _set(path: str, value: Any) -> Callable[[SourceCampaign], None]:
    def change(entry: SourceCampaign) -> None:
        target: Any = entry
        *parents, name = path.split(".")
        for parent in parents:
            target = getattr(target, parent)
        setattr(target, name, value() if callable(value) else value)

    return change


def _an_hour_ago() -> Any:
    return timezone.now() - timedelta(hours=1)


def item_not_object(w: World) -> Answer:
    """A batch item that is not an object: its own result in a batch answered 200."""
    response = w.client.post(
        w.url + "s",
        json.dumps({"contacts": [CONTACT, 7]}),
        content_type="application/json",
        headers={"token": w.token},
    )
    assert response.status_code == 200
    item = response.json()["results"][1]
    return Answer(BATCH, item["statusCode"], item["status"], item["errors"] or {})


def server_error(w: World) -> Answer:
    """A real server-side error (a lock timeout) on the contact's INSERT: a logged 500."""
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE FUNCTION test_fail_contact() RETURNS trigger AS $$ BEGIN "
            "RAISE EXCEPTION 'simulated' USING ERRCODE = '55P03'; END $$ LANGUAGE plpgsql"
        )
        cursor.execute(
            "CREATE TRIGGER test_fail_contact BEFORE INSERT ON ingest_contact "
            "FOR EACH ROW EXECUTE FUNCTION test_fail_contact()"
        )
    try:
        return w.post(CONTACT)
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP TRIGGER test_fail_contact ON ingest_contact")
            cursor.execute("DROP FUNCTION test_fail_contact()")


def unavailable(w: World) -> Answer:
    """The database refuses the connection: 503 (nothing can be stored, not even the event)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = str(sock.getsockname()[1])
    db = connection.settings_dict
    saved = (db.get("HOST"), db.get("PORT"))
    connection.close()
    db["HOST"], db["PORT"] = "127.0.0.1", closed
    try:
        return w.post(CONTACT)
    finally:
        connection.close()
        db["HOST"], db["PORT"] = saved


def _internal_source(w: World) -> Answer:
    source = SourceFactory.create(internal=True)
    return w.post(CONTACT, url=f"/source/{source.pk}/campaign/999999/contact")


def _other_campaign(w: World) -> Answer:
    other = CampaignFactory.create()
    return w.post(CONTACT, url=f"/source/{w.entry.source_id}/campaign/{other.pk}/contact")


# Each refusal's code, and the real requests that answer it (some have more than one way).
SCENARIOS: list[tuple[str, str, Callable[[World], Answer]]] = [
    ("too_many_parameters", "single", lambda w: w.post(CONTACT, url=w.url + _many_parameters())),
    (
        "too_many_parameters",
        "batch",
        lambda w: answer_of(
            w.client.post(
                w.url + "s" + _many_parameters(), {"contacts": [CONTACT]}, "application/json"
            ),
            BATCH,
        ),
    ),
    ("length_required", "chunked body", length_required),
    ("too_large", "single post", too_large),
    ("batch_too_large", "batch", batch_too_large),
    ("unsupported_type", "text/plain", lambda w: w.post("email=x", content_type="text/plain")),
    ("malformed_json", "truncated", lambda w: w.post('{"email": ')),
    ("malformed_json", "too deep", lambda w: w.post('{"a": ' * 40 + "1" + "}" * 40)),
    ("malformed_multipart", "no boundary", malformed_multipart),
    ("json_not_object", "a list", lambda w: w.post("[1, 2]")),
    ("too_many_fields", "JSON", too_many_fields),
    ("method_not_allowed", "DELETE", lambda w: answer_of(w.client.delete(w.url))),
    ("method_not_allowed", "PATCH", lambda w: answer_of(w.client.patch(w.url))),
    ("empty", "{}", lambda w: w.post({})),
    ("empty_values", "nulls", lambda w: w.post({"email": None, "phone": None})),
    ("no_token", "no header", lambda w: w.post(CONTACT, headers={"token": ""})),
    (
        "idempotency_key_too_long",
        "256 characters",
        lambda w: w.post(CONTACT, headers={"Idempotency-Key": "k" * 256}),
    ),
    (
        "unknown_source",
        "unknown id",
        lambda w: w.post(CONTACT, url="/source/999999/campaign/1/contact"),
    ),
    ("source_unpublished", "", on_entry(_set("source.is_published", False))),
    ("source_outside_window", "", on_entry(_set("source.publish_down", _an_hour_ago))),
    ("bad_token", "", lambda w: w.post(CONTACT, headers={"token": "not-the-token"})),
    ("bad_verbose_key", "", lambda w: w.post(CONTACT, headers={"verbose": "wrong"})),
    ("not_whitelisted", "other campaign", _other_campaign),
    ("not_whitelisted", "inactive entry", on_entry(_set("is_active", False))),
    ("unknown_campaign", "internal source", _internal_source),
    ("campaign_unpublished", "", on_entry(_set("campaign.is_published", False))),
    ("campaign_outside_window", "", on_entry(_set("campaign.publish_down", _an_hour_ago))),
    ("idempotency_key_reused", "", idempotency_key_reused),
    ("required_fields", "missing", lambda w: w.post({"firstname": "Ada"})),
    ("wrong_shape", "an object", lambda w: w.post({"email": {"a": 1}})),
    ("nothing_usable", "tracking only", nothing_usable),
    ("duplicate", "", duplicate),
    ("limited", "", limited),
    ("server_error", "", server_error),
    ("unavailable", "", unavailable),
    (
        "batch_method_not_allowed",
        "GET",
        lambda w: answer_of(w.client.get(w.url + "s"), BATCH),
    ),
    (
        "batch_not_json",
        "form",
        lambda w: w.batch("contacts=1", content_type="application/x-www-form-urlencoded"),
    ),
    ("batch_shape", "no list", lambda w: w.batch({"email": "ada@example.com"})),
    (
        "batch_too_many",
        "",
        lambda w: w.batch({"contacts": [CONTACT] * (settings.INTAKE_MAX_BATCH_ITEMS + 1)}),
    ),
    ("item_not_object", "", item_not_object),
    # Last: it blocks an address (its own) for the rest of the window.
    ("too_many_failures", "", too_many_failures),
]
