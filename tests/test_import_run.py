from __future__ import annotations

from decimal import Decimal

import pytest

from finance.models import Cap, CapCounter, LedgerEntry
from imports import services as import_services
from imports.models import ContactImport, ContactImportProblem, ImportStatus
from imports.selectors import contact_import_progress
from imports.services import (
    ImportStateError,
    contact_import_create,
    contact_import_run_chunk,
    contact_import_start,
)
from ingest.models import Contact, IntakeEvent
from subscriptions.models import CallbackDelivery, CallbackEndpoint, Subscription
from tests.factories import (
    CallbackEndpointFactory,
    CampaignFieldFactory,
    CapFactory,
    SourceCampaignFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def entry():
    entry = SourceCampaignFactory(cost=Decimal("2.50"), campaign__revenue=Decimal("6.00"))
    CampaignFieldFactory(campaign=entry.campaign, key="email", type="email", required=True)
    CampaignFieldFactory(campaign=entry.campaign, key="zipcode", type="zipcode")
    return entry


def start_import(entry, text: str, mapping: dict[str, str] | None = None) -> ContactImport:
    imp = contact_import_create(
        source=entry.source, campaign=entry.campaign, filename="leads.csv", content=text.encode()
    )
    contact_import_start(contact_import=imp, mapping=mapping or imp.mapping)
    return imp


def run_all(imp: ContactImport, rows: int = 500) -> ContactImport:
    for _ in range(100):
        if not contact_import_run_chunk(import_id=imp.pk, rows=rows):
            break
    imp.refresh_from_db()
    return imp


GOOD_AND_BAD = (
    "E-mail,First Name,Zip,Phone\n"
    "ada@example.com,Ada,33602,(727) 287-0426\n"
    "not-an-email,Bob,33602,\n"
    "grace@example.com,Grace,hello,\n"
    "ADA@example.com,Ada again,33602,727-287-0426\n"
    ",Nobody,33602,\n"
)


def test_it_imports_the_good_rows_and_reports_the_others(entry):
    imp = run_all(start_import(entry, GOOD_AND_BAD))

    assert imp.status == ImportStatus.DONE
    assert (imp.rows_processed, imp.rows_imported) == (5, 2)
    assert (imp.rows_invalid, imp.rows_duplicate, imp.rows_warned) == (2, 1, 1)
    ada, grace = Contact.objects.order_by("pk")
    # The intake's normalisation: E.164 phone, normalised email, dropped invalid zip.
    assert (ada.email, ada.phone, ada.firstname, ada.zipcode) == (
        "ada@example.com",
        "+17272870426",
        "Ada",
        "33602",
    )
    assert (grace.email, grace.zipcode, grace.status) == ("grace@example.com", "", "accepted")
    problems = {p.row_number: p for p in ContactImportProblem.objects.all()}
    assert sorted(problems) == [3, 4, 5, 6]
    assert problems[3].outcome == "invalid" and "email" in problems[3].errors
    assert problems[3].values["E-mail"] == "not-an-email"
    assert problems[4].outcome == "warned" and problems[4].contact == grace
    assert "zipcode" in problems[4].errors
    assert problems[5].outcome == "duplicate"
    assert "duplicate" in problems[5].errors
    assert problems[6].errors == {"email": "Email is required."}


def test_imported_rows_are_stored_as_accepted_intake_without_caps_or_scrub(entry):
    entry.scrub_rate = 100
    entry.save()
    cap: Cap = CapFactory.create(campaign=entry.campaign, source=entry.source, limit=Decimal("1"))
    endpoint: CallbackEndpoint = CallbackEndpointFactory.create()

    imp = run_all(start_import(entry, "email\na@example.com\nb@example.com\nc@example.com\n"))

    assert imp.rows_imported == 3
    assert set(Contact.objects.values_list("status", flat=True)) == {"accepted"}
    events = IntakeEvent.objects.order_by("batch_index")
    assert [e.batch_index for e in events] == [2, 3, 4]
    assert {e.request_id for e in events} == {imp.public_id}
    assert {(e.status, e.http_status, e.cost, e.revenue) for e in events} == {
        ("accepted", 200, Decimal("2.50"), Decimal("6.00"))
    }
    assert LedgerEntry.objects.filter(kind="cost").count() == 3
    assert Subscription.objects.count() == 3
    assert CallbackDelivery.objects.filter(endpoint=endpoint).count() == 3
    assert not CapCounter.objects.filter(cap=cap).exists()


def test_it_runs_in_chunks_and_reports_its_progress_by_bytes(entry):
    text = "email\n" + "".join(f"lead{n}@example.com\n" for n in range(5))
    imp = start_import(entry, text)

    assert contact_import_run_chunk(import_id=imp.pk, rows=2) is True
    imp.refresh_from_db()
    progress = contact_import_progress(imp)
    assert (imp.status, imp.rows_processed, imp.rows_imported) == ("running", 2, 2)
    assert bytes(imp.content)[imp.offset :].startswith(b"lead2@")
    assert 0 < progress["percent"] < 100 and progress["done"] is False

    imp = run_all(imp, rows=2)

    assert (imp.status, imp.rows_processed, imp.rows_imported) == ("done", 5, 5)
    assert contact_import_progress(imp)["percent"] == 100
    assert Contact.objects.count() == 5


def test_a_failed_chunk_leaves_nothing_behind_and_the_import_resumes_there(entry, monkeypatch):
    imp = start_import(entry, "email\n" + "".join(f"l{n}@example.com\n" for n in range(4)))
    assert contact_import_run_chunk(import_id=imp.pk, rows=2)
    real_write = import_services._write

    def crash(chunk):
        real_write(chunk)
        raise RuntimeError("worker killed mid-chunk")

    monkeypatch.setattr(import_services, "_write", crash)
    with pytest.raises(RuntimeError):
        contact_import_run_chunk(import_id=imp.pk, rows=2)
    assert Contact.objects.count() == 2
    monkeypatch.setattr(import_services, "_write", real_write)

    imp = run_all(imp, rows=2)

    assert (imp.rows_processed, imp.rows_imported) == (4, 4)
    assert Contact.objects.count() == 4


def test_rows_already_posted_within_the_window_are_duplicates(entry, post_contact):
    assert post_contact(entry, {"email": "ada@example.com"}).status_code == 200

    imp = run_all(start_import(entry, "email\nada@example.com\n"))

    assert (imp.rows_imported, imp.rows_duplicate) == (0, 1)


def test_it_applies_the_sources_utm_source_override(entry):
    entry.source.utm_source = "vendor-x"
    entry.source.save()

    run_all(start_import(entry, "email,utm_source\nada@example.com,facebook\n"))

    assert Contact.objects.get().utm_source == "vendor-x"


def test_it_starts_once_and_enqueues_its_task_after_commit(
    entry, django_capture_on_commit_callbacks, monkeypatch
):
    sent: list[int] = []
    monkeypatch.setattr("imports.tasks.contact_import_run.delay", sent.append)
    imp = contact_import_create(
        source=entry.source, campaign=entry.campaign, filename="a.csv", content=b"email\na@b.co\n"
    )
    assert imp.status == ImportStatus.MAPPING

    with django_capture_on_commit_callbacks(execute=True):
        contact_import_start(contact_import=imp, mapping={"0": "email"})

    assert sent == [imp.pk]
    assert imp.status == ImportStatus.QUEUED
    with pytest.raises(ImportStateError):
        contact_import_start(contact_import=imp, mapping={"0": "email"})
