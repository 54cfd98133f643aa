"""The one settlement rule every bus adapter applies once a handler has run."""

from __future__ import annotations

from precise_chassis.bus.port import (
    DESCRIPTION_LIMIT,
    MAX_DELIVERY_EXCEEDED,
    UNPROCESSABLE,
    Action,
    RetryPolicy,
    Settlement,
    Unprocessable,
    settlement,
)


def test_a_handler_that_returns_completes_the_message() -> None:
    assert settlement(1, 10, None) == Settlement(Action.COMPLETE)


def test_an_unprocessable_message_is_dead_lettered_at_once() -> None:
    decision = settlement(1, 10, Unprocessable("exhibit reference EXH/?? is malformed"))
    assert decision == Settlement(Action.DEAD_LETTER, UNPROCESSABLE, "exhibit reference EXH/?? is malformed")


def test_a_failure_before_the_last_delivery_abandons_after_the_back_off() -> None:
    retry = RetryPolicy(base_seconds=0.5, cap_seconds=3.0)
    assert settlement(1, 3, RuntimeError("db down"), retry) == Settlement(Action.ABANDON, delay_seconds=0.5)
    assert settlement(2, 3, RuntimeError("db down"), retry) == Settlement(Action.ABANDON, delay_seconds=1.0)


def test_a_failure_on_the_last_delivery_dead_letters_with_the_error() -> None:
    decision = settlement(3, 3, ConnectionError("custody store refused"))
    assert decision == Settlement(Action.DEAD_LETTER, MAX_DELIVERY_EXCEEDED, "ConnectionError: custody store refused")


def test_a_long_error_is_cut_to_what_service_bus_keeps() -> None:
    decision = settlement(10, 10, ValueError("x" * 10_000))
    assert decision.description is not None
    assert len(decision.description) == DESCRIPTION_LIMIT
    assert decision.description.startswith("ValueError: xxx")
