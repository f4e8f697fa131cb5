"""`make run`'s demo: the printed curl line, pasted into a shell, is accepted by the server."""

from __future__ import annotations

import io
import json
import re
import shlex
import subprocess
import tempfile
from pathlib import Path

from django.core.management import call_command

from campaigns.models import Campaign
from finance.models import Cap
from ingest.models import Contact, IntakeEvent, IntakeStatus
from sources.models import Source, SourceCampaign
from subscriptions.models import CallbackDelivery


def seed(live_server, settings, token_file=None) -> str:
    settings.PUBLIC_BASE_URL = live_server.url
    out = io.StringIO()
    # Never the real var/demo_token of the checkout running the tests.
    token_file = token_file or Path(tempfile.mkdtemp()) / "demo_token"
    call_command("seed_demo", stdout=out, token_file=str(token_file))
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


def test_a_second_run_keeps_the_token_so_the_first_runs_line_still_works(
    transactional_db, live_server, settings, client, tmp_path
):
    # Behaviour changed on purpose (issue 15): a second run used to rotate the token, so the
    # first run's curl line answered 401.
    token_file = tmp_path / "demo_token"
    first = curl_line(seed(live_server, settings, token_file))
    printed = seed(live_server, settings, token_file)
    second = curl_line(printed)

    assert Source.objects.filter(name="Demo vendor").count() == 1
    token = re.compile(r"token: (\S+)")
    old = token.search(" ".join(first))
    new = token.search(" ".join(second))
    assert old and new and old.group(1) == new.group(1)
    assert token_file.read_text().strip() == old.group(1)
    assert "token changed" not in printed
    kept = subprocess.run([*first, "--max-time", "20"], capture_output=True, timeout=30)
    assert json.loads(kept.stdout)["statusCode"] == 200
    source = Source.objects.get(name="Demo vendor")
    assert f"{live_server.url}/source/{source.pk}" in printed
    assert f"{live_server.url}/admin/" in printed
    assert client.login(username="demo", password="demo-password")
    assert client.get(f"/source/{source.pk}").status_code == 200


def test_a_run_that_must_issue_a_new_token_says_so(
    transactional_db, live_server, settings, tmp_path
):
    token_file = tmp_path / "demo_token"
    seed(live_server, settings, token_file)
    token_file.write_text("a-token-from-an-older-database\n")

    printed = seed(live_server, settings, token_file)

    assert "the demo token changed" in printed
    assert token_file.read_text().strip() in printed


def test_the_demo_fills_every_admin_page_on_first_open(
    transactional_db, live_server, settings, client, tmp_path
):
    seed(live_server, settings, tmp_path / "demo_token")

    assert SourceCampaign.objects.count() == 3
    assert SourceCampaign.objects.filter(scrub_rate__gt=0, real_time=True).exists()
    assert Campaign.objects.get(name="Demo home solar").fields.filter(type="select").exists()
    assert Cap.objects.filter(is_active=True).count() == 1
    assert IntakeEvent.objects.count() >= 300
    client.login(username="demo", password="demo-password")
    caps = client.get("/admin/caps/")
    assert caps.status_code == 200 and len(caps.context["rows"]) == 1
    assert client.get("/admin/").status_code == 200
    seed(live_server, settings, tmp_path / "demo_token")  # a second run adds no history
    assert IntakeEvent.objects.count() < 600
