"""The integration tests' own helpers do what the tests rely on."""

from __future__ import annotations

from contactsource.celery import app
from tests.integration.processes import celery_publishing_to


def test_publishing_goes_to_the_given_broker_even_with_the_environment_set(monkeypatch):
    # `make test` sets CELERY_BROKER_URL, which Celery prefers to its own setting.
    monkeypatch.setenv("CELERY_BROKER_URL", "redis://127.0.0.1:6379/0")

    with celery_publishing_to("redis://127.0.0.1:6399/3"), app.connection_for_write() as inside:
        assert inside.as_uri().endswith("@127.0.0.1:6399/3")

    with app.connection_for_write() as after:
        assert after.as_uri().endswith("@127.0.0.1:6379/0")
