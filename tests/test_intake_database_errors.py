"""Only a lost or refused database answers 503; any other database error is a logged 500."""

from __future__ import annotations

import logging
import socket

import pytest
from django.db import close_old_connections, connection

from finance.models import LedgerEntry
from ingest.models import Contact, IntakeEvent

# Real transactions: the trigger's error must roll back the intake's own transaction.
pytestmark = pytest.mark.django_db(transaction=True)


def _fail_contact_inserts(sqlstate: str) -> None:
    """A real server-side error on the contact INSERT (a lock timeout, a deadlock...)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE OR REPLACE FUNCTION test_fail_contact() RETURNS trigger AS $$ BEGIN "
            f"RAISE EXCEPTION 'simulated server failure' USING ERRCODE = '{sqlstate}'; "
            "END $$ LANGUAGE plpgsql"
        )
        cursor.execute(
            "CREATE TRIGGER test_fail_contact BEFORE INSERT ON ingest_contact "
            "FOR EACH ROW EXECUTE FUNCTION test_fail_contact()"
        )


@pytest.fixture
def failing_contacts():
    def install(sqlstate: str) -> None:
        _fail_contact_inserts(sqlstate)

    yield install
    with connection.cursor() as cursor:
        cursor.execute("DROP TRIGGER IF EXISTS test_fail_contact ON ingest_contact")
        cursor.execute("DROP FUNCTION IF EXISTS test_fail_contact()")


@pytest.mark.parametrize(
    "sqlstate",
    ["55P03", "40P01", "57014"],  # lock_not_available, deadlock_detected, query_canceled
)
def test_it_answers_a_database_error_other_than_a_lost_connection_with_a_logged_500(
    entry, post_contact, failing_contacts, sqlstate, caplog
):
    failing_contacts(sqlstate)

    with caplog.at_level(logging.ERROR, logger="ingest.views"):
        response = post_contact(entry, {"email": "a@example.com"})

    assert response.status_code == 500, response.data
    body = response.data
    assert (body["status"], body["statusCode"], body["success"]) == ("error", 500, False)
    assert body["id"] in body["errors"]["500"]
    text = response.content.decode()
    assert "simulated server failure" not in text and "Traceback" not in text
    assert "Retry-After" not in response
    event = IntakeEvent.objects.get()
    assert (event.status, event.http_status, str(event.request_id)) == ("error", 500, body["id"])
    assert Contact.objects.count() == 0
    assert LedgerEntry.objects.count() == 0
    crashes = [r for r in caplog.records if r.getMessage() == "intake crashed"]
    assert [getattr(r, "request_id", None) for r in crashes] == [body["id"]]


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_it_answers_503_when_the_database_refuses_the_connection(entry, post_contact):
    settings = connection.settings_dict
    saved = (settings.get("HOST"), settings.get("PORT"))
    connection.close()
    settings["HOST"], settings["PORT"] = "127.0.0.1", str(_closed_port())
    try:
        response = post_contact(entry, {"email": "a@example.com"})
    finally:
        connection.close()
        settings["HOST"], settings["PORT"] = saved

    assert response.status_code == 503, response.data
    assert response["Retry-After"] == "5"
    assert (response.data["status"], response.data["statusCode"]) == ("error", 503)
    assert Contact.objects.count() == 0


def test_a_reused_connection_that_died_is_replaced_before_the_intake_uses_it(
    entry, post_contact, monkeypatch
):
    """CONN_HEALTH_CHECKS: the server ended an idle persistent connection (a restart, an idle
    timeout, a failover); the next post reconnects first and is accepted, not answered 503."""
    import psycopg

    from tests.integration.processes import database_url

    monkeypatch.setitem(connection.settings_dict, "CONN_MAX_AGE", None)
    connection.close()
    assert post_contact(entry, {"email": "first@example.com"}).status_code == 200
    pid = connection.connection.info.backend_pid
    with psycopg.connect(database_url(), autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [pid])
    # What Django runs when a request starts (the test client leaves it out): from here the
    # connection's first use in the request is health-checked.
    close_old_connections()

    response = post_contact(entry, {"email": "second@example.com"})

    assert response.status_code == 200, response.content
    assert connection.connection.info.backend_pid != pid
    assert Contact.objects.filter(email="second@example.com").exists()
