from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from imports import tasks
from imports.models import ContactImport, ImportStatus
from imports.services import contact_import_create, contact_import_start
from ingest.models import Contact
from sources.models import SourceCampaign
from tests.factories import CampaignFieldFactory, SourceCampaignFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def queued():
    entry: SourceCampaign = SourceCampaignFactory.create()
    CampaignFieldFactory(campaign=entry.campaign, key="email", type="email")
    text = "email\n" + "".join(f"lead{n}@example.com\n" for n in range(6))
    imp = contact_import_create(
        source=entry.source, campaign=entry.campaign, filename="a.csv", content=text.encode()
    )
    contact_import_start(contact_import=imp, mapping={"0": "email"})
    return imp


@pytest.fixture
def sent(monkeypatch):
    ids: list[int] = []
    monkeypatch.setattr(tasks.contact_import_run, "delay", ids.append)
    return ids


def test_the_task_imports_every_chunk_within_its_time_budget(queued, sent, settings):
    settings.IMPORT_CHUNK_ROWS = 2

    tasks.contact_import_run(queued.pk)

    queued.refresh_from_db()
    assert (queued.status, queued.rows_imported) == (ImportStatus.DONE, 6)
    assert sent == []


def test_past_its_time_budget_it_hands_the_rest_to_a_fresh_task(queued, sent, settings):
    settings.IMPORT_CHUNK_ROWS = 2
    settings.IMPORT_TASK_SECONDS = 0

    tasks.contact_import_run(queued.pk)

    queued.refresh_from_db()
    assert (queued.status, queued.rows_imported) == (ImportStatus.RUNNING, 2)
    assert sent == [queued.pk]


def test_an_unexpected_error_fails_the_import_with_a_message(queued, sent, monkeypatch):
    def boom(**kwargs):
        raise ValueError("bug")

    monkeypatch.setattr(tasks, "contact_import_run_chunk", boom)

    tasks.contact_import_run(queued.pk)

    queued.refresh_from_db()
    assert queued.status == ImportStatus.FAILED
    assert "unexpected error" in queued.error and queued.finished_at is not None


def test_beat_resumes_imports_whose_task_was_lost(queued, sent, settings):
    settings.IMPORT_STALE_SECONDS = 60
    fresh = ContactImport.objects.create(
        source=queued.source,
        campaign=queued.campaign,
        filename="b.csv",
        content=b"x",
        status=ImportStatus.RUNNING,
    )
    ContactImport.objects.filter(pk=queued.pk).update(
        updated_at=timezone.now() - timedelta(minutes=5)
    )

    assert tasks.contact_imports_resume() == 1

    assert sent == [queued.pk]
    assert fresh.pk not in sent
    assert Contact.objects.count() == 0
