"""rootwatch.gc_tuning: fewer garbage collections inside the block, the caller's thresholds after it."""

from __future__ import annotations

import gc

import pytest

from rootwatch.gc_tuning import YOUNG_THRESHOLD, fewer_collections


@pytest.fixture()
def thresholds():
    before = gc.get_threshold()
    yield
    gc.set_threshold(*before)


def test_young_threshold_raised_inside_and_restored_after(thresholds: None) -> None:
    gc.set_threshold(700, 10, 10)
    with fewer_collections():
        assert gc.get_threshold() == (YOUNG_THRESHOLD, 10, 10)
        assert gc.isenabled()  # raised, never switched off: cyclic garbage is still freed
    assert gc.get_threshold() == (700, 10, 10)


def test_a_higher_threshold_is_kept_and_restored_on_error(thresholds: None) -> None:
    gc.set_threshold(YOUNG_THRESHOLD * 2, 5, 7)
    with pytest.raises(RuntimeError), fewer_collections():
        assert gc.get_threshold() == (YOUNG_THRESHOLD * 2, 5, 7)
        raise RuntimeError("boom")
    assert gc.get_threshold() == (YOUNG_THRESHOLD * 2, 5, 7)
