"""The Content-Security-Policy of the admin and the docs pages, in a real browser: their own
scripts (Chart.js, the admin's widgets, select2, the import progress) and styles pass it."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User

from tests.factories import CampaignFieldFactory, IntakeEventFactory, SourceCampaignFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(300)]

PASSWORD = "csp-password-1"
# Collects what the browser refused, from the first script on every page.
RECORDER = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  const where = e.sourceFile + ":" + e.lineNumber;
  window.__csp.push(e.violatedDirective + " " + e.blockedURI + " " + where);
});
"""


def _watch(page: Any) -> list[str]:
    console: list[str] = []
    page.add_init_script(RECORDER)
    page.on(
        "console",
        lambda message: (
            console.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    return console


def _visit(page: Any, url: str, ready: str) -> list[str]:
    response = page.goto(url)
    assert response is not None and response.status < 400, url
    assert response.headers.get("content-security-policy"), url
    page.wait_for_selector(ready)
    page.wait_for_load_state("networkidle")
    violations: list[str] = page.evaluate("window.__csp")
    return violations


def test_admin_and_docs_pages_run_without_a_policy_violation(page: Any, live_server: Any, settings):
    settings.PUBLIC_BASE_URL = live_server.url
    entry = SourceCampaignFactory.create(campaign__name="Auto insurance")
    CampaignFieldFactory.create(campaign=entry.campaign, key="email", type="email")
    IntakeEventFactory.create_batch(3, entry=entry)
    User.objects.create_superuser("root", "root@example.com", PASSWORD)
    live = live_server.url
    console = _watch(page)

    seen = _visit(page, f"{live}/admin/login/", "#id_username")
    page.fill("#id_username", "root")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_selector("#cs-shortcuts")
    pages = [
        ("/admin/", "#cs-shortcuts"),
        ("/admin/dashboard/", "canvas"),
        ("/admin/caps/", "#content"),
        (f"/admin/sources/source/{entry.source_id}/change/", "#entries-group"),
        ("/admin/campaigns/campaign/add/", "#fields-group"),
        ("/admin/ingest/intakeevent/", "#result_list"),
    ]
    for path, ready in pages:
        seen += _visit(page, f"{live}{path}", ready)
    # The whitelist's autocomplete (select2) and the inline "add another" run their scripts.
    page.goto(f"{live}/admin/sources/source/{entry.source_id}/change/")
    page.click("#entries-group .add-row a")
    page.click("#entries-1 .select2-selection")
    page.wait_for_selector(".select2-results__option")
    seen += page.evaluate("window.__csp")

    # The partner's docs page, opened with the token form (no JavaScript at all).
    page.context.clear_cookies()
    seen += _visit(page, f"{live}/source/{entry.source_id}", "input[name=token]")
    page.fill("input[name=token]", entry.source.token)
    page.click("button[type=submit]")
    seen += _visit(page, f"{live}/source/{entry.source_id}", "pre code")

    assert seen == []
    assert console == []
