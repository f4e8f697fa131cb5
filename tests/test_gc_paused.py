"""contactsource.gcpause: the collector is off while any batch runs, and back on after the last."""

from __future__ import annotations

import gc

import pytest

from contactsource.gcpause import gc_paused


@pytest.fixture(autouse=True)
def collector_on():
    gc.enable()
    yield
    gc.enable()


def test_the_collector_is_paused_inside_and_resumed_after():
    with gc_paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_it_resumes_only_when_the_last_of_overlapping_batches_ends():
    first, second = gc_paused(), gc_paused()
    first.__enter__()
    second.__enter__()
    first.__exit__(None, None, None)
    assert not gc.isenabled()
    second.__exit__(None, None, None)
    assert gc.isenabled()


def test_it_resumes_after_an_error():
    with pytest.raises(ValueError), gc_paused():
        raise ValueError
    assert gc.isenabled()


def test_it_leaves_a_collector_someone_else_turned_off_as_it_was():
    gc.disable()
    with gc_paused():
        pass
    assert not gc.isenabled()
