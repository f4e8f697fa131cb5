"""A batch item's answer is the single answer's outcome keys plus its index, however built."""

from __future__ import annotations

import uuid

import pytest

from ingest.models import IntakeStatus
from ingest.pipeline import IntakeOutcome
from ingest.responses import _ITEM_EXTRA_KEYS, _ITEM_KEYS, batch_item_body, outcome_body


def from_the_single_answer(outcome: IntakeOutcome, index: int) -> dict:
    full = outcome_body(outcome)
    item = {key: full[key] for key in _ITEM_KEYS}
    item.update({key: full[key] for key in _ITEM_EXTRA_KEYS if key in full})
    item["index"] = index
    return dict(sorted(item.items()))


OUTCOMES = [
    IntakeOutcome(uuid.uuid4(), IntakeStatus.ACCEPTED, 200, contact_id=7, authenticated=True),
    IntakeOutcome(uuid.uuid4(), IntakeStatus.SCRUBBED, 200, contact_id=8, authenticated=True),
    IntakeOutcome(uuid.uuid4(), IntakeStatus.DUPLICATE, 409, errors={"email": "seen"}),
    IntakeOutcome(uuid.uuid4(), IntakeStatus.INVALID, 422, errors={"phone": "bad"}),
    IntakeOutcome(uuid.uuid4()),
    IntakeOutcome(uuid.uuid4(), IntakeStatus.ACCEPTED, 200, contact_id=9, test=True),
    IntakeOutcome(uuid.uuid4(), IntakeStatus.ACCEPTED, 200, contact_id=9, verbose=True),
]


@pytest.mark.parametrize("outcome", OUTCOMES)
def test_an_items_answer_is_the_single_answers_keys_and_its_index(outcome):
    built = batch_item_body(outcome, 3)
    assert built == from_the_single_answer(outcome, 3)
    assert list(built) == sorted(built)
