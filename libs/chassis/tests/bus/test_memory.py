"""The in-process bus beyond the conformance suite: what the embedded profile and unit tests rely on."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import pytest

from precise_chassis.bus.memory import InMemoryBus
from precise_chassis.bus.port import BusUnavailable, Delivery, RetryPolicy

if TYPE_CHECKING:
    from conftest import BusRig

pytestmark = pytest.mark.parametrize("rig", ["memory"], indirect=True)

NOTE_ADDED = "note-added"


async def test_publishing_to_a_topic_never_declared_raises_bus_unavailable(rig: BusRig) -> None:
    bus = rig.bus()
    await rig.declare(bus, rig.subscription("casework", "risk-summary", NOTE_ADDED))
    with pytest.raises(BusUnavailable, match="intelligence"):
        await bus.publish("intelligence", [rig.envelope(NOTE_ADDED)])


async def test_consuming_a_subscription_never_declared_says_which(rig: BusRig) -> None:
    with pytest.raises(LookupError, match=r"casework\.risk-summary"):
        await rig.bus().consume(rig.subscription("casework", "risk-summary", NOTE_ADDED), rig.recorder())


async def test_a_failed_message_waits_for_the_back_off_before_redelivery(rig: BusRig) -> None:
    bus = InMemoryBus(retry=RetryPolicy(base_seconds=0.2, cap_seconds=1.0))
    risk = rig.subscription("casework", "risk-summary", NOTE_ADDED)
    await rig.declare(bus, risk)
    seen_at: list[float] = []

    async def fail_once(delivery: Delivery) -> None:
        seen_at.append(time.monotonic())
        if delivery.delivery_count == 1:
            raise ConnectionError("PNC lookup timed out")

    await bus.consume(risk, fail_once)
    await bus.publish("casework", [rig.envelope(NOTE_ADDED)])
    await rig.eventually(lambda: len(seen_at) == 2, "the redelivery")
    await bus.stop()

    assert seen_at[1] - seen_at[0] >= 0.2


async def test_a_handler_sees_the_payload_as_it_would_arrive_over_a_broker(rig: BusRig) -> None:
    bus = rig.bus()
    risk = rig.subscription("casework", "risk-summary", NOTE_ADDED)
    await rig.declare(bus, risk)
    handler = rig.recorder()
    await bus.consume(risk, handler)

    await bus.publish("casework", [rig.envelope(NOTE_ADDED, vrms=("AB12CDE", "XY34FGH"))])
    await rig.eventually(lambda: len(handler.deliveries) == 1, "the delivery")

    assert handler.deliveries[0].envelope.payload() == {"vrms": ["AB12CDE", "XY34FGH"]}  # JSON has no tuples
