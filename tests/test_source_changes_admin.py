"""Several API changes made in one admin edit make one change record and one notification."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core import mail

from campaigns.services import campaign_field_create
from sources import services
from sources.models import SourceChange
from tests.factories import CampaignFactory, CampaignFieldFactory, SourceCampaignFactory

pytestmark = pytest.mark.django_db


class FormValues(HTMLParser):
    """The values a browser would submit for the admin's change form (as rendered)."""

    def __init__(self) -> None:
        super().__init__()
        self.values: dict[str, Any] = {}
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        name = a.get("name", "")
        if tag == "input" and name and a.get("type") not in ("submit", "file"):
            if a.get("type") == "checkbox":
                if "checked" in a:
                    self.values[name] = "on"
            else:
                self.values[name] = a.get("value", "")
        elif tag == "select" and name:
            self._select = name
            self.values.setdefault(name, "")
        elif tag == "option" and self._select and "selected" in a:
            self.values[self._select] = a.get("value", "")
        elif tag == "textarea" and name:
            self._textarea = name
            self.values[name] = ""

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self.values[self._textarea] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def form_values(client, url: str) -> dict[str, Any]:
    parser = FormValues()
    parser.feed(client.get(url).content.decode())
    values = parser.values
    values.pop("csrfmiddlewaretoken", None)
    values["_save"] = "Save"
    return values


@pytest.fixture
def admin_client(client):
    client.force_login(User.objects.create_superuser("admin", password="pw-123456"))
    return client


@pytest.fixture
def post(admin_client, monkeypatch, django_capture_on_commit_callbacks):
    """POST as the admin; enqueued notifications run inline after commit (as a worker would)."""
    monkeypatch.setattr(
        "sources.tasks.source_change_notify.delay",
        lambda change_id: services.source_change_notify(change_id=change_id),
    )

    def run(url: str, values: dict[str, Any]):
        with django_capture_on_commit_callbacks(execute=True):
            return admin_client.post(url, values)

    return run


def field_index(values: dict[str, Any], key: str) -> int:
    return next(
        int(name.split("-")[1])
        for name, value in values.items()
        if name.startswith("fields-") and name.endswith("-key") and value == key
    )


def test_one_campaign_edit_with_three_changes_notifies_each_source_once(admin_client, post):
    campaign = CampaignFactory.create(name="Auto")
    CampaignFieldFactory.create(campaign=campaign, key="email", type="email", position=0)
    CampaignFieldFactory.create(campaign=campaign, key="age", type="text", position=1)
    emails = ["a@partner.example", "b@partner.example"]
    for email in emails:
        SourceCampaignFactory.create(campaign=campaign, source__notification_email=email)
    url = f"/admin/campaigns/campaign/{campaign.pk}/change/"
    values = form_values(admin_client, url)
    values[f"fields-{field_index(values, 'email')}-required"] = "on"
    values[f"fields-{field_index(values, 'age')}-type"] = "number"
    new = int(values["fields-TOTAL_FORMS"])
    values["fields-TOTAL_FORMS"] = str(new + 1)
    values.update(
        {
            f"fields-{new}-key": "zipcode",
            f"fields-{new}-type": "zipcode",
            f"fields-{new}-required": "on",
            f"fields-{new}-position": "2",
            f"fields-{new}-choices": "[]",
            f"fields-{new}-campaign": str(campaign.pk),
        }
    )

    response = post(url, values)

    assert response.status_code == 302, response.content.decode()[:2000]
    changes = list(SourceChange.objects.order_by("source_id"))
    assert len(changes) == 2
    for change in changes:
        assert [line["kind"] for line in change.lines] == [
            "field_added",
            "field_type",
            "field_required",
        ]
    assert sorted(m.to[0] for m in mail.outbox) == emails
    assert all(m.body.count("\n- ") == 3 for m in mail.outbox)


def test_one_source_edit_adding_two_campaigns_makes_one_notification(admin_client, post):
    entry = SourceCampaignFactory.create(source__notification_email="partner@example.com")
    source = entry.source
    extra = [CampaignFactory.create(name="Solar"), CampaignFactory.create(name="Roofing")]
    url = f"/admin/sources/source/{source.pk}/change/"
    values = form_values(admin_client, url)
    total = int(values["entries-TOTAL_FORMS"])
    values["entries-TOTAL_FORMS"] = str(total + 2)
    for offset, campaign in enumerate(extra):
        prefix = f"entries-{total + offset}"
        values.update(
            {
                f"{prefix}-campaign": str(campaign.pk),
                f"{prefix}-is_active": "on",
                f"{prefix}-cost": "1.00",
                f"{prefix}-scrub_rate": "0",
                f"{prefix}-duplicate_window": "30 00:00:00",
                f"{prefix}-source": str(source.pk),
            }
        )

    response = post(url, values)

    assert response.status_code == 302, response.content.decode()[:2000]
    change = SourceChange.objects.get()
    assert [line["campaign_id"] for line in change.lines] == [c.pk for c in extra]
    assert len(mail.outbox) == 1
    assert "Solar" in mail.outbox[0].body
    assert "Roofing" in mail.outbox[0].body


def test_an_admin_save_without_api_changes_records_nothing(admin_client, post):
    entry = SourceCampaignFactory.create(source__notification_email="partner@example.com")
    url = f"/admin/campaigns/campaign/{entry.campaign_id}/change/"
    values = form_values(admin_client, url)
    values["description"] = "A better description."

    assert post(url, values).status_code == 302

    assert not SourceChange.objects.exists()
    assert mail.outbox == []


def test_deleting_a_campaign_in_the_admin_tells_its_sources(admin_client, post):
    entry = SourceCampaignFactory.create(source__notification_email="partner@example.com")
    url = f"/admin/campaigns/campaign/{entry.campaign_id}/delete/"

    assert post(url, {"post": "yes"}).status_code == 302

    change = SourceChange.objects.get()
    assert change.lines[0]["kind"] == "campaign_removed"
    assert len(mail.outbox) == 1


def test_the_source_admin_links_to_the_docs_page_and_shows_the_changelog(admin_client):
    entry = SourceCampaignFactory.create(campaign__name="Auto")
    campaign_field_create(campaign=entry.campaign, key="zipcode", type="zipcode")

    page = admin_client.get(f"/admin/sources/source/{entry.source_id}/change/").content.decode()

    assert f'href="/source/{entry.source_id}"' in page
    assert "field &#x27;zipcode&#x27; added" in page
