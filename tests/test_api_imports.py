"""CSV imports over the API: upload, map, start, watch the progress and the problem rows."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from imports.models import ContactImport
from imports.services import contact_import_run_chunk
from ingest.models import Contact
from tests.api_clients import api_client, make_entry, superuser_client

pytestmark = pytest.mark.django_db

CSV = b"E-mail,First name,Zip\nada@example.com,Ada,33602\nnot-an-email,Bob,33602\n"


def upload(api, entry, content=CSV, name="leads.csv"):
    return api.post(
        "/api/v1/imports/",
        {
            "file": SimpleUploadedFile(name, content, content_type="text/csv"),
            "source": entry.source_id,
            "campaign": entry.campaign_id,
        },
        format="multipart",
    )


def test_an_upload_guesses_the_mapping_and_waits_for_it():
    entry = make_entry()
    entry.campaign.fields.create(key="email", type="email", required=True)

    response = upload(superuser_client(), entry)

    assert response.status_code == 201, response.data
    assert response.data["columns"] == ["E-mail", "First name", "Zip"]
    assert response.data["mapping"]["0"] == "email"
    assert response.data["status"] == "mapping"
    assert "content" not in response.data


def test_a_started_import_runs_and_reports_its_problem_rows(django_capture_on_commit_callbacks):
    entry = make_entry()
    entry.campaign.fields.create(key="email", type="email", required=True)
    api = superuser_client()
    imp_id = upload(api, entry).data["id"]

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        started = api.post(
            f"/api/v1/imports/{imp_id}/start/",
            {"mapping": {"0": "email", "1": "firstname", "2": "zipcode"}},
            format="json",
        )
    assert started.status_code == 200, started.data
    assert started.data["status"] == "queued"
    assert len(callbacks) == 1  # the task is enqueued once the mapping is saved
    while contact_import_run_chunk(import_id=imp_id):
        pass

    done = api.get(f"/api/v1/imports/{imp_id}/").data
    assert done["status"] == "done"
    assert (done["rows_imported"], done["rows_invalid"], done["progress"]) == (1, 1, 100.0)
    assert Contact.objects.get().email == "ada@example.com"
    problems = api.get(f"/api/v1/imports/{imp_id}/problems/").data["results"]
    assert [p["row_number"] for p in problems] == [3]
    again = api.post(f"/api/v1/imports/{imp_id}/start/", {"mapping": {"0": "email"}}, format="json")
    assert again.status_code == 409


def test_a_mapping_without_a_required_field_or_with_a_bad_column_is_refused():
    entry = make_entry()
    entry.campaign.fields.create(key="email", type="email", required=True)
    api = superuser_client()
    imp_id = upload(api, entry).data["id"]

    response = api.post(
        f"/api/v1/imports/{imp_id}/start/",
        {"mapping": {"1": "firstname", "9": "city"}},
        format="json",
    )

    assert response.status_code == 400
    text = " ".join(response.data["mapping"])
    assert "required" in text and "'9' is not a column" in text
    assert ContactImport.objects.get().status == "mapping"


def test_a_file_that_is_not_csv_is_refused():
    response = upload(superuser_client(), make_entry(), content=b"\x00\x01\x02binary")
    assert response.status_code == 400
    assert "file" in response.data


def test_importing_needs_the_add_permission():
    entry = make_entry()
    viewer = api_client("imports.view_contactimport")
    assert upload(viewer, entry).status_code == 403
    assert viewer.get("/api/v1/imports/").status_code == 200
