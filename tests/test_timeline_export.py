from __future__ import annotations

import csv
import io

import pytest
from django.contrib.auth.models import Permission, User
from django.http import StreamingHttpResponse

from contactsource.csvexport import csv_cell
from reports.admin_views import timeline
from sources.models import SourceCampaign
from tests.factories import IntakeEventFactory, SourceCampaignFactory

pytestmark = pytest.mark.django_db

URL = "/admin/ingest/intakeevent/export.csv"


def read(response) -> list[dict[str, str]]:
    assert isinstance(response, StreamingHttpResponse)
    text = response.getvalue().decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def test_it_streams_every_event_the_filter_selects(marketer_client, monkeypatch):
    entry: SourceCampaign = SourceCampaignFactory.create()
    other: SourceCampaign = SourceCampaignFactory.create()
    IntakeEventFactory.create_batch(5, entry=entry)
    IntakeEventFactory(entry=entry, status="invalid", errors={"email": "Email is required."})
    IntakeEventFactory(entry=other)
    monkeypatch.setattr(timeline, "EXPORT_CHUNK", 2)

    response = marketer_client.get(URL, {"source": entry.source_id})

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="transactions-')
    rows = read(response)
    assert len(rows) == 6
    assert list(rows[0]) == timeline.EXPORT_HEADER
    assert {row["source_name"] for row in rows} == {entry.source.name}
    invalid = next(row for row in rows if row["status"] == "invalid")
    assert invalid["errors"] == '{"email": "Email is required."}'


def test_it_reads_the_log_in_chunks_not_all_at_once(
    marketer_client, monkeypatch, django_assert_max_num_queries
):
    IntakeEventFactory.create_batch(7, entry=SourceCampaignFactory())
    monkeypatch.setattr(timeline, "EXPORT_CHUNK", 3)
    response = marketer_client.get(URL)

    # Three chunks of at most 4 rows (3 and a look-ahead), then nothing is left in memory.
    with django_assert_max_num_queries(4):
        rows = read(response)

    assert len(rows) == 7


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ('=HYPERLINK("http://evil")', '\'=HYPERLINK("http://evil")'),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("+1 (727) 287-0426", "+1 (727) 287-0426"),
        ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
        ("-2", "-2"),
        ("ada@example.com", "ada@example.com"),
        (None, ""),
        ({"b": 1, "a": "x"}, '{"a": "x", "b": 1}'),
    ],
)
def test_cells_cannot_smuggle_spreadsheet_formulas(value, written):
    assert csv_cell(value) == written


def test_exporting_takes_its_own_permission(client):
    viewer = User.objects.create_user("viewer", password="x", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_intakeevent"))
    client.force_login(viewer)

    assert client.get("/admin/ingest/intakeevent/").status_code == 200
    assert 'id="timeline-export"' not in client.get("/admin/ingest/intakeevent/").content.decode()
    assert client.get(URL).status_code == 403
