"""`make run`'s demo: the printed curl line, pasted into a shell, is accepted by the server."""

from __future__ import annotations

import io
import json
import re
import shlex
import subprocess

from django.core.management import call_command

from ingest.models import Contact, IntakeStatus
from sources.models import Source
from subscriptions.models import CallbackDelivery


def seed(live_server, settings) -> str:
    settings.PUBLIC_BASE_URL = live_server.url
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def curl_line(printed: str, route: str = "/contact") -> list[str]:
    lines = [x.strip() for x in printed.splitlines() if x.strip().startswith("curl ")]
    return shlex.split(next(x for x in lines if f"{route} " in x))


def test_the_printed_curl_line_is_accepted_and_called_back(transactional_db, live_server, settings):
    printed = seed(live_server, settings)
    command = curl_line(printed)

    result = subprocess.run([*command, "--max-time", "20"], capture_output=True, timeout=30)

    body = json.loads(result.stdout)
    assert body["success"] is True, body
    contact = Contact.objects.get(pk=body["contact"]["id"])
    assert contact.status == IntakeStatus.ACCEPTED
    assert contact.source.name == "Demo vendor"
    # The demo receiver's endpoint gets the subscription callback.
    assert CallbackDelivery.objects.filter(contact_id=contact.pk).count() == 1
    # The same line again: a duplicate, as the printed hint says.
    again = subprocess.run([*command, "--max-time", "20"], capture_output=True, timeout=30)
    assert json.loads(again.stdout)["statusCode"] == 409


def test_the_printed_batch_line_is_answered_item_by_item(transactional_db, live_server, settings):
    command = curl_line(seed(live_server, settings), "/contacts")

    result = subprocess.run([*command, "--max-time", "20"], capture_output=True, timeout=30)

    body = json.loads(result.stdout)
    assert body["statusCode"] == 200, body
    assert [r["status"] for r in body["results"]] == ["accepted", "accepted"]
    ids = [r["contact"]["id"] for r in body["results"]]
    assert Contact.objects.filter(pk__in=ids, status=IntakeStatus.ACCEPTED).count() == 2


def test_a_second_run_rotates_the_token_and_prints_the_docs_and_admin(
    transactional_db, live_server, settings, client
):
    first = curl_line(seed(live_server, settings))
    printed = seed(live_server, settings)
    second = curl_line(printed)

    assert Source.objects.filter(name="Demo vendor").count() == 1
    token = re.compile(r"token: (\S+)")
    old = token.search(" ".join(first))
    new = token.search(" ".join(second))
    assert old and new and old.group(1) != new.group(1)
    stale = subprocess.run([*first, "--max-time", "20"], capture_output=True, timeout=30)
    assert json.loads(stale.stdout)["statusCode"] == 401
    source = Source.objects.get(name="Demo vendor")
    assert f"{live_server.url}/source/{source.pk}" in printed
    assert f"{live_server.url}/admin/" in printed
    assert client.login(username="demo", password="demo-password")
    assert client.get(f"/source/{source.pk}").status_code == 200
