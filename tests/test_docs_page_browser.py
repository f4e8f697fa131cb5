"""In a real browser (Chromium, no JavaScript): the token form works and the page fits a phone.

`DOCS_SCREENSHOT_DIR=docs/screenshots pytest tests/test_docs_page_browser.py` refreshes the
screenshots committed under docs/screenshots/.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, ViewportSize

from campaigns.services import campaign_field_create
from sources.models import Source
from tests.factories import CampaignFieldFactory, SourceCampaignFactory

PHONE: ViewportSize = {"width": 390, "height": 844}
DESKTOP: ViewportSize = {"width": 1280, "height": 900}


@pytest.fixture
def source(django_db_reset_sequences, live_server, settings) -> Source:
    settings.PUBLIC_BASE_URL = live_server.url
    entry = SourceCampaignFactory.create(
        source__name="Acme Leads",
        source__public_description="Leads from Acme's comparison sites. Questions: ops@acme.test",
        source__notification_email="ops@acme.test",
        campaign__name="Auto insurance",
    )
    auto = entry.campaign
    CampaignFieldFactory.create(campaign=auto, key="email", type="email", required=True)
    CampaignFieldFactory.create(campaign=auto, key="phone", type="tel", required=True)
    CampaignFieldFactory.create(
        campaign=auto, key="vehicle_year", label="Vehicle year", type="number", example="2019"
    )
    home = SourceCampaignFactory.create(source=entry.source, campaign__name="Home solar").campaign
    CampaignFieldFactory.create(
        campaign=home,
        key="roof",
        label="Roof type",
        type="select",
        choices=["tile", "metal", "shingle"],
        required=True,
    )
    campaign_field_create(campaign=auto, key="zipcode", type="zipcode", required=True)
    return entry.source


def sign_in(page: Page, base: str, source: Source) -> None:
    page.goto(f"{base}/source/{source.pk}")
    page.fill("#token", source.token)  # type: ignore[attr-defined]
    page.click("button[type=submit]")


def no_horizontal_scroll(page: Page) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


def test_the_page_works_without_javascript_and_fits_a_phone(
    live_server, source, tmp_path, browser: Browser
):
    shots = Path(os.environ.get("DOCS_SCREENSHOT_DIR") or tmp_path)
    phone = browser.new_page(viewport=PHONE, java_script_enabled=False)
    sign_in(phone, live_server.url, source)
    assert phone.locator("h1").inner_text() == "API documentation for Acme Leads"
    assert phone.locator("#campaigns").is_visible()
    assert no_horizontal_scroll(phone)
    phone.screenshot(path=str(shots / "docs-page-phone.png"))

    desktop = browser.new_page(viewport=DESKTOP, java_script_enabled=False)
    sign_in(desktop, live_server.url, source)
    assert no_horizontal_scroll(desktop)
    desktop.locator(".card").first.scroll_into_view_if_needed()
    desktop.screenshot(path=str(shots / "docs-page-desktop.png"))
    assert (shots / "docs-page-phone.png").stat().st_size > 0
