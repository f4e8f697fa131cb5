"""What users and running systems relied on before the apps were split keeps working."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.contrib.auth.models import User

from contactsource.celery import app as celery_app
from finance.models import LedgerEntry
from imports.models import ContactImport
from ingest.models import Contact

pytestmark = pytest.mark.django_db


def test_it_sends_an_old_import_page_address_to_the_page_s_new_one(marketer_client, entry):
    imp = ContactImport.objects.create(
        source=entry.source, campaign=entry.campaign, filename="a.csv", columns=["email"]
    )
    old = f"/admin/ingest/contactimport/{imp.pk}/change/?source=1"

    response = marketer_client.get(old)

    assert response.status_code == 308
    assert response["Location"] == f"/admin/imports/contactimport/{imp.pk}/change/?source=1"
    assert marketer_client.get(old, follow=True).status_code == 200
    listing = marketer_client.get("/admin/ingest/contactimport/")
    assert listing["Location"] == "/admin/imports/contactimport/"


def test_it_refuses_to_delete_a_contact_the_ledger_charged(client, entry, post_contact):
    assert post_contact(entry, {"email": "lead@example.com"}).status_code == 200
    contact = Contact.objects.get()
    assert LedgerEntry.objects.filter(contact_id=contact.pk).count() == 2
    admin = User.objects.create_superuser("root", password="root-password")
    client.force_login(admin)

    page = client.get(f"/admin/ingest/contact/{contact.pk}/delete/")
    client.post(f"/admin/ingest/contact/{contact.pk}/delete/", {"post": "yes"})

    assert "would require deleting the following protected related objects" in page.text
    first = LedgerEntry.objects.filter(contact_id=contact.pk).order_by("pk").first()
    assert first is not None
    assert f'Ledger entry: <a href="/admin/finance/ledgerentry/{first.pk}/change/">' in page.text
    assert Contact.objects.filter(pk=contact.pk).exists()


def test_the_beat_schedule_and_queued_tasks_find_the_moved_tasks_by_their_old_names():
    celery_app.loader.import_default_modules()
    registered = set(celery_app.tasks)
    for name in (
        "ingest.tasks.contact_import_run",
        "ingest.tasks.contact_imports_resume",
        "ingest.tasks.intake_stats_roll_up",
    ):
        assert name in registered
    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        assert entry["task"] in registered
