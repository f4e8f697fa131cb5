"""The benchmark's bare insert view exists only when BENCH_ENDPOINTS asks for it."""

from __future__ import annotations

import importlib
import json
from collections.abc import Iterator

import pytest
from django.test import Client, override_settings
from django.urls import clear_url_caches

import contactsource.urls
from ingest.models import Contact
from sources.models import SourceCampaign


def _reload_urls() -> None:
    importlib.reload(contactsource.urls)
    clear_url_caches()


@pytest.fixture
def bench_endpoints_on() -> Iterator[None]:
    with override_settings(BENCH_ENDPOINTS=True):
        _reload_urls()
        yield
    _reload_urls()


@pytest.mark.django_db
def test_the_bare_view_is_not_mounted_by_default(entry: SourceCampaign) -> None:
    response = Client().post(
        f"/bench/bare/{entry.source_id}/{entry.campaign_id}",
        json.dumps({"email": "a@example.com"}),
        content_type="application/json",
    )
    assert response.status_code == 404
    assert Contact.objects.count() == 0


@pytest.mark.django_db
def test_the_bare_view_inserts_one_row_when_benchmarking(
    entry: SourceCampaign, bench_endpoints_on: None
) -> None:
    response = Client().post(
        f"/bench/bare/{entry.source_id}/{entry.campaign_id}",
        json.dumps({"email": "a@example.com", "phone": "7272870426"}),
        content_type="application/json",
    )
    assert response.status_code == 200
    assert Contact.objects.get().email == "a@example.com"
