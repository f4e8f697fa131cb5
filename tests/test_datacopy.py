"""contactsource.datacopy.replaced gives what dataclasses.replace gives, for plain dataclasses."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import pytest

from contactsource.datacopy import replaced
from ingest.pipeline import IntakeRequest


def request() -> IntakeRequest:
    return IntakeRequest(
        source_ref="1",
        campaign_ref="2",
        payload={"email": "a@example.com"},
        received_at=datetime(2026, 12, 6, tzinfo=UTC),
        started=1.0,
    )


def test_it_copies_every_field_and_changes_the_ones_asked():
    req = request()
    copy = replaced(req, payload={}, batch_index=3, started=2.0)
    assert copy == dataclasses.replace(req, payload={}, batch_index=3, started=2.0)
    assert copy is not req and req.payload == {"email": "a@example.com"}


def test_it_refuses_a_field_the_class_does_not_have():
    with pytest.raises(TypeError):
        replaced(request(), nickname="x")


def test_it_refuses_a_dataclass_with_post_init():
    @dataclasses.dataclass
    class Checked:
        n: int

        def __post_init__(self) -> None:
            assert self.n >= 0

    with pytest.raises(TypeError):
        replaced(Checked(1), n=-1)
