"""After start-up the collector runs less often, but reference cycles made by the work are still collected."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from precise_chassis.heap import GENERATION_0, settle_after_start_up


@pytest.fixture
def settled() -> Iterator[None]:
    threshold = gc.get_threshold()
    settle_after_start_up()
    try:
        yield
    finally:
        gc.unfreeze()
        gc.set_threshold(*threshold)


class Sighting:
    """A stand-in for an object a handler builds, which may end up in a reference cycle."""

    def __init__(self) -> None:
        self.me = self


def test_the_start_up_heap_is_frozen_and_generation_0_grows(settled: None) -> None:
    assert gc.get_freeze_count() > 0
    assert gc.get_threshold()[0] == GENERATION_0


def test_a_reference_cycle_left_by_the_work_is_still_collected_without_being_asked(settled: None) -> None:
    cycle = Sighting()
    gone = weakref.ref(cycle)
    del cycle
    assert gone() is not None  # a cycle outlives its last reference until a collection runs

    churn = [[n] for n in range(GENERATION_0 * 2)]  # the allocations of ordinary work trigger one

    assert gone() is None
    assert len(churn) == GENERATION_0 * 2
