from __future__ import annotations

import csv
import io

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile

from imports.models import ContactImport, ImportStatus
from imports.services import contact_import_run_chunk
from tests.factories import CampaignFieldFactory, SourceCampaignFactory

pytestmark = pytest.mark.django_db

ADD = "/admin/imports/contactimport/add/"


@pytest.fixture
def entry():
    entry = SourceCampaignFactory()
    CampaignFieldFactory(campaign=entry.campaign, key="email", type="email", required=True)
    CampaignFieldFactory(campaign=entry.campaign, key="vehicle_year", type="number", label="Year")
    return entry


@pytest.fixture
def sent(monkeypatch):
    tasks: list[int] = []
    monkeypatch.setattr("imports.tasks.contact_import_run.delay", tasks.append)
    return tasks


def upload(client, entry, content: bytes, name: str = "leads.csv"):
    return client.post(
        ADD,
        {
            "source": entry.source_id,
            "campaign": entry.campaign_id,
            "file": SimpleUploadedFile(name, content, content_type="text/csv"),
        },
    )


def test_upload_map_run_and_download_the_problem_rows(
    marketer_client, entry, sent, django_capture_on_commit_callbacks
):
    content = b"Email,Year,Notes\nada@example.com,2019,hi\nnope,2020,\ngrace@example.com,old,\n"

    response = upload(marketer_client, entry, content)

    imp = ContactImport.objects.get()
    assert response["Location"] == f"/admin/imports/contactimport/{imp.pk}/mapping/"
    assert imp.created_by is not None
    assert (imp.filename, imp.status, imp.created_by.username) == (
        "leads.csv",
        "mapping",
        "marketer",
    )
    mapping_page = marketer_client.get(response["Location"])
    form = mapping_page.context["form"]
    assert [form[f"column_{i}"].initial for i in range(3)] == ["email", "vehicle_year", ""]
    assert "ada@example.com · nope · grace@example.com" in mapping_page.content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        started = marketer_client.post(
            response["Location"], {"column_0": "email", "column_1": "vehicle_year"}
        )

    assert started["Location"] == f"/admin/imports/contactimport/{imp.pk}/change/"
    assert sent == [imp.pk]
    progress = marketer_client.get(f"/admin/imports/contactimport/{imp.pk}/progress.json").json()
    assert (progress["status"], progress["percent"], progress["done"]) == ("queued", 0, False)
    page = marketer_client.get(started["Location"]).content.decode()
    assert 'http-equiv="refresh"' in page and "import_progress.js" in page

    while contact_import_run_chunk(import_id=imp.pk):
        pass

    progress = marketer_client.get(f"/admin/imports/contactimport/{imp.pk}/progress.json").json()
    assert (progress["status"], progress["percent"], progress["done"]) == ("done", 100, True)
    assert (progress["rows_imported"], progress["rows_invalid"], progress["rows_warned"]) == (
        2,
        1,
        1,
    )
    summary = marketer_client.get(started["Location"]).content.decode()
    assert 'http-equiv="refresh"' not in summary
    assert "Download the 2 problem rows (CSV)" in summary
    problems = marketer_client.get(f"/admin/imports/contactimport/{imp.pk}/problems.csv")
    text = b"".join(problems.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["row", "outcome", "errors", "Email", "Year", "Notes"]
    assert [row[0] for row in rows[1:]] == ["3", "4"]
    assert rows[1][1] == "Not imported: invalid" and rows[1][3] == "nope"
    assert rows[2][1] == "Imported, with a value dropped" and rows[2][4] == "old"


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("leads.xlsx", b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00", "not a CSV file"),
        ("leads.csv", b"", "The submitted file is empty."),
        ("page.csv", b"<!doctype html><html></html>", "looks like HTML"),
    ],
)
def test_a_file_that_is_not_csv_gets_a_clear_error(marketer_client, entry, name, content, message):
    response = upload(marketer_client, entry, content, name)

    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors["file"])
    assert not ContactImport.objects.exists()


def test_a_file_over_the_limit_is_refused(marketer_client, entry, settings):
    settings.IMPORT_MAX_BYTES = 10

    response = upload(marketer_client, entry, b"email\nada@example.com\n")

    assert "the limit is" in response.context["form"].errors["file"][0]


def test_the_mapping_must_feed_required_fields_once(marketer_client, entry, sent):
    upload(marketer_client, entry, b"email,email2\nada@example.com,b@example.com\n")
    imp = ContactImport.objects.get()
    url = f"/admin/imports/contactimport/{imp.pk}/mapping/"

    twice = marketer_client.post(url, {"column_0": "email", "column_1": "email"})
    missing = marketer_client.post(url, {"column_0": "", "column_1": "firstname"})

    assert "is mapped from 2 columns" in twice.content.decode()
    assert "Email (email) is required by the campaign" in missing.content.decode()
    imp.refresh_from_db()
    assert imp.status == ImportStatus.MAPPING and sent == []


def test_the_upload_form_is_prefilled_from_the_source_page_link(marketer_client, entry):
    response = marketer_client.get(ADD, {"source": entry.source_id, "campaign": entry.campaign_id})

    form = response.context["form"]
    assert (form["source"].value(), form["campaign"].value()) == (
        str(entry.source_id),
        str(entry.campaign_id),
    )


def test_imports_are_for_staff_with_the_permission(client, entry):
    assert client.get(ADD)["Location"].startswith("/admin/login/")
    client.force_login(User.objects.create_user("intern", password="x", is_staff=True))
    assert client.get(ADD).status_code == 403
