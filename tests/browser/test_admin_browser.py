"""The marketer's admin in a real browser, against a live server and a real Celery worker.

Log in, create a campaign and a source, post a contact, find it in the timeline and the chart,
import a CSV file and watch its progress reach 100 %, return contacts (one from the timeline)
and see the source's return charts, then screenshot the source page, the dashboard, the source's
returns and the import (docs/screenshots/ with `make screenshots`).
"""

from __future__ import annotations

import io
import re
from collections import Counter
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from campaigns.models import Campaign
from feedback.services import conversion_report, return_request
from finance.models import Cap
from imports.models import ContactImport
from ingest.models import Contact
from sources.models import Source

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(600)]

ROWS = 200
BAD_ROWS = {10, 50, 150}
PASSWORD = "marketer-password"
CAPPED_POSTS = 25
# Returns per day back, of the imported contacts spread over the last week, and their reasons.
RETURNS_BY_DAY = [0, 3, 5, 2, 6, 4, 3]
RETURN_REASONS = ["wrong_number", "disconnected", "fraud", "duplicate", "not_interested"]


def log_in(page: Any, live: str) -> None:
    user = User.objects.create_user("maria", password=PASSWORD, is_staff=True)
    user.groups.add(Group.objects.get(name="marketer"))
    page.goto(f"{live}/admin/login/")
    page.fill("#id_username", "maria")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_selector("#cs-shortcuts")


def create_campaign(page: Any, live: str) -> Campaign:
    page.goto(f"{live}/admin/campaigns/campaign/add/")
    page.fill("#id_name", "Auto insurance")
    page.fill("#id_revenue", "6.00")
    for index, (key, kind, required) in enumerate(
        [("email", "email", True), ("phone", "tel", False), ("firstname", "text", False)]
    ):
        page.click("#fields-group .add-row a")
        page.fill(f"#id_fields-{index}-key", key)
        page.select_option(f"#id_fields-{index}-type", kind)
        if required:
            page.check(f"#id_fields-{index}-required")
    page.click("input[name=_save]")
    page.wait_for_selector(".messagelist .success")
    return Campaign.objects.get(name="Auto insurance")


def create_source(page: Any, live: str, campaign: Campaign) -> tuple[Source, str]:
    page.goto(f"{live}/admin/sources/source/add/")
    page.fill("#id_name", "Vendor A")
    page.fill("#id_category", "Affiliates")
    page.click("#entries-group .add-row a")
    # The whitelist entry's campaign is an autocomplete (select2) field: search and pick.
    page.click("#entries-0 .select2-selection")
    page.fill(".select2-search__field", "Auto")
    page.click(".select2-results__option:has-text('Auto insurance')")
    page.fill("#id_entries-0-cost", "2.50")
    page.click("input[name=_save]")
    token = page.inner_text(".cs-token").strip()  # shown once, on the page after saving
    return Source.objects.get(name="Vendor A"), token


def post_contact(
    live: str, source: Source, campaign: Campaign, token: str, email: str = "ada@example.com"
) -> None:
    phone = "727-287-0426" if email == "ada@example.com" else ""
    response = httpx.post(
        f"{live}/source/{source.pk}/campaign/{campaign.pk}/contact",
        json={"email": email, "firstname": "Ada", "phone": phone},
        headers={"token": token},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    assert response.json()["success"] is True


def chart_total(page: Any, kind: str, label: str) -> float:
    canvas = f"canvas[data-chart-kind={kind}]"
    page.wait_for_selector(f"{canvas}[data-chart-state=ready]")
    return float(
        page.evaluate(
            """([selector, label]) => {
                const chart = Chart.getChart(document.querySelector(selector));
                const set = chart.data.datasets.find((d) => d.label === label);
                return set ? set.data.reduce((a, b) => a + b, 0) : 0;
            }""",
            [canvas, label],
        )
    )


def week_of_returns(source: Source) -> Counter[str]:
    """Spread the imported contacts over the last seven days (as if imported day by day), then
    have buyers return some of each day's and report conversions: what the charts draw."""
    imported = list(
        Contact.objects.filter(source=source, email__startswith="lead")
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    now = timezone.now()
    reasons: Counter[str] = Counter()
    for days_back, count in enumerate(RETURNS_BY_DAY):
        day_ids = imported[days_back :: len(RETURNS_BY_DAY)]
        Contact.objects.filter(pk__in=day_ids).update(
            created_at=now - timedelta(days=days_back, hours=1)
        )
        day = list(Contact.objects.filter(pk__in=day_ids).order_by("pk"))
        for n, contact in enumerate(day[:count]):
            reason = RETURN_REASONS[(days_back + n) % len(RETURN_REASONS)]
            return_request(contact=contact, reason=reason)
            reasons[reason] += 1
        for contact in day[count : count + 1 + days_back % 3]:
            conversion_report(contact=contact, value=Decimal("40"))
    return reasons


def return_from_the_timeline(page: Any, live: str, source: Source, reason: str) -> None:
    """Tick the newest event of the source in the timeline and return its contact."""
    page.goto(f"{live}/admin/ingest/intakeevent/?source={source.pk}")
    page.locator("tr.cs-event").first.locator("input.action-select").check()
    page.select_option("#timeline-actions select[name=return_reason]", reason)
    page.select_option("#timeline-actions select[name=action]", "return_contacts")
    page.click("#timeline-actions button[name=index]")
    expect(page.locator(".messagelist .success")).to_have_text("1 contact(s) returned.")


def write_csv(folder: Path) -> Path:
    lines = ["E-mail,First name,Phone,Notes"]
    for n in range(ROWS):
        email = "not-an-email" if n in BAD_ROWS else f"lead{n}@example.com"
        lines.append(f"{email},Lead {n},,row {n}")
    lines.append("ada@example.com,Ada,727-287-0426,already posted")  # a duplicate
    path = folder / "vendor-a-leads.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def run_import(page: Any, live: str, source: Source, campaign: Campaign, csv: Path) -> None:
    page.goto(f"{live}/admin/sources/source/{source.pk}/change/")
    page.click("text=Import contacts")
    page.select_option("#id_campaign", str(campaign.pk))
    page.set_input_files("#id_file", str(csv))
    page.click("input[type=submit]")
    page.wait_for_selector("#import-mapping")
    assert page.input_value("#id_column_0") == "email"  # guessed from the header
    page.click("input[type=submit]")
    page.wait_for_selector("#import-progress")
    # The page polls its progress JSON and reloads with the summary once done. (A selector,
    # not wait_for_function: the admin's Content-Security-Policy refuses eval'd test code.)
    expect(page.locator("#import-percent")).to_have_text("100", timeout=180_000)
    page.wait_for_selector("#import-problems-csv")


def test_a_marketer_works_through_the_admin(
    page, live_server, import_worker, screenshots, tmp_path
):
    live = live_server.url
    log_in(page, live)
    campaign = create_campaign(page, live)
    source, token = create_source(page, live, campaign)
    assert re.fullmatch(r"[A-Za-z0-9_-]{40,}", token)

    post_contact(live, source, campaign, token)

    page.goto(f"{live}/admin/ingest/intakeevent/?source={source.pk}")
    row = page.locator("tr.cs-event").first
    assert "ada@example.com" in row.inner_text() and "Accepted" in row.inner_text()
    page.goto(f"{live}/admin/sources/source/{source.pk}/change/")
    assert chart_total(page, "status", "Accepted") == 1

    run_import(page, live, source, campaign, write_csv(tmp_path))

    imp = ContactImport.objects.get()
    assert (imp.status, imp.rows_imported, imp.rows_invalid, imp.rows_duplicate) == (
        "done",
        ROWS - len(BAD_ROWS),
        len(BAD_ROWS),
        1,
    )
    assert Contact.objects.count() == 1 + ROWS - len(BAD_ROWS)
    assert page.inner_text("#import-imported") == str(ROWS - len(BAD_ROWS))
    page.screenshot(path=str(screenshots / "import.png"), full_page=True)

    # A month of history and a cap in use, so the screenshots show a busy account.
    call_command("generate_events", count=3000, days=30, stdout=io.StringIO())
    Cap.objects.create(campaign=campaign, source=source, limit=Decimal("40"), duration="day")
    for n in range(CAPPED_POSTS):
        post_contact(live, source, campaign, token, email=f"today{n}@example.com")
    page.goto(f"{live}/admin/sources/source/{source.pk}/change/")
    assert chart_total(page, "status", "Accepted") > ROWS
    chart_total(page, "money", "Revenue")
    assert page.inner_text("#source-caps .cs-cap td:nth-child(4)") == f"{CAPPED_POSTS} / 40"
    page.set_viewport_size({"width": 1440, "height": 1240})  # down to the caps table
    page.screenshot(path=str(screenshots / "source.png"))
    # Buyers return some of today's contacts and of the past week's, and one is returned from
    # the timeline: the source page shows its return rate, reasons and their charts.
    today = Contact.objects.filter(source=source, email__startswith="today").order_by("pk")
    reasons = Counter(["wrong_number", "wrong_number", "fraud"])
    for contact, reason in zip(today, reasons.elements(), strict=False):
        return_request(contact=contact, reason=reason)
    reasons += week_of_returns(source)
    return_from_the_timeline(page, live, source, "wrong_number")
    reasons["wrong_number"] += 1
    page.goto(f"{live}/admin/sources/source/{source.pk}/change/")
    panel = page.locator("#source-returns")
    ranked = sorted(reasons.items(), key=lambda item: (-item[1], item[0]))
    assert ", ".join(f"{reason} {n}" for reason, n in ranked) in panel.inner_text()
    assert chart_total(page, "reasons", "wrong_number") == reasons["wrong_number"]
    assert chart_total(page, "rates", "Return rate (%)") > 0
    assert chart_total(page, "rates", "Conversion rate (%)") > 0
    panel.scroll_into_view_if_needed()
    panel.screenshot(path=str(screenshots / "source-returns.png"))
    page.goto(f"{live}/admin/dashboard/")
    for kind in ("status", "campaign", "source", "money", "rates", "reasons"):
        page.wait_for_selector(f"canvas[data-chart-kind={kind}][data-chart-state=ready]")
    page.screenshot(path=str(screenshots / "dashboard.png"), full_page=True)
