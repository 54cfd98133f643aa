"""A bus rig per adapter for the conformance suite: memory and RabbitMQ always, Azure Service Bus when
PRECISE_SERVICEBUS_CONNECTION is set. Each test gets a random topology prefix and its topology is
removed afterwards, because other test runs share the same broker."""

from __future__ import annotations

import asyncio
import json
import os
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest

from precise_chassis.bus.memory import InMemoryBus
from precise_chassis.bus.port import Bus, DeadLetter, Delivery, RetryPolicy
from precise_chassis.bus.rabbitmq import RabbitMQBus
from precise_chassis.testing.rabbitmq import delete_topology
from precise_chassis.testing.services import rabbitmq_url
from precise_contracts.data_encoding import encoded
from precise_contracts.envelope import Envelope
from precise_contracts.registry import Subscription, Topic

FAST_RETRY = RetryPolicy(base_seconds=0.01, cap_seconds=0.05)
MAX_DELIVERY = 3
SOURCE_SERVICE = "bus-conformance"


def event_type(kind: str) -> str:
    return f"uk.police.precise.conformance.{kind}.v1"


@dataclass
class Recorder:
    """A handler that records every delivery it is given, then runs an optional behaviour."""

    behaviour: Callable[[Delivery], Awaitable[None]] | None = None
    deliveries: list[Delivery] = field(default_factory=list)

    async def __call__(self, delivery: Delivery) -> None:
        self.deliveries.append(delivery)
        if self.behaviour is not None:
            await self.behaviour(delivery)

    def ids(self) -> list[str]:
        return [d.envelope.id for d in self.deliveries]

    def counts_for(self, event_id: str) -> list[int]:
        return [d.delivery_count for d in self.deliveries if d.envelope.id == event_id]


@dataclass
class BusRig:
    """Clients of one broker under one random topology prefix, and the helpers the bus tests share."""

    adapter: str
    prefix: str
    url: str | None
    _open: Callable[[], Bus]
    buses: list[Bus] = field(default_factory=list)
    subscriptions: set[Subscription] = field(default_factory=set)

    def bus(self) -> Bus:
        """A client of the broker; a second call is a second process (the in-process bus is the process)."""
        bus = self._open()
        if bus not in self.buses:
            self.buses.append(bus)
        return bus

    async def declare(self, bus: Bus, *subscriptions: Subscription) -> None:
        self.subscriptions.update(subscriptions)
        topics = sorted({s.topic for s in subscriptions})
        await bus.ensure_topology(
            [Topic(name=t, description="conformance", producers=(SOURCE_SERVICE,)) for t in topics],
            subscriptions,
        )

    @staticmethod
    def subscription(topic: str, service: str, *kinds: str, max_delivery: int = MAX_DELIVERY) -> Subscription:
        return Subscription(
            topic=topic,
            service=service,
            event_types=frozenset(event_type(kind) for kind in kinds),
            max_delivery=max_delivery,
        )

    @staticmethod
    def envelope(kind: str, **data: Any) -> Envelope:
        """An event as a producer sends it: a large payload compressed."""
        body, encoding = encoded(json.dumps(data, separators=(",", ":")).encode())
        return Envelope(
            id=str(uuid.uuid4()),
            source=f"/precise/{SOURCE_SERVICE}",
            type=event_type(kind),
            subject="CASE/2026/0042",
            time=datetime.now(UTC),
            traceparent=f"00-{uuid.uuid4().hex}-{uuid.uuid4().hex[:16]}-01",
            dataencoding=encoding,
            data=body,
        )

    @staticmethod
    def recorder(behaviour: Callable[[Delivery], Awaitable[None]] | None = None) -> Recorder:
        return Recorder(behaviour)

    @staticmethod
    async def eventually(check: Callable[[], bool], what: str, *, within: float = 10.0) -> None:
        deadline = time.monotonic() + within
        while not check():
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out after {within}s waiting for {what}")
            await asyncio.sleep(0.02)

    @staticmethod
    async def dead_letters(bus: Bus, subscription: Subscription, *, within: float = 10.0) -> list[DeadLetter]:
        """The subscription's dead letters, once there is at least one."""
        deadline = time.monotonic() + within
        while not (letters := await bus.dead_letters(subscription)):
            if time.monotonic() > deadline:
                raise AssertionError(f"no dead letter on {subscription.queue} after {within}s")
            await asyncio.sleep(0.05)
        return letters

    @staticmethod
    async def settle(seconds: float = 0.3) -> None:
        """Give a wrongly routed or wrongly redelivered message the time to show up."""
        await asyncio.sleep(seconds)

    async def close(self) -> None:
        for bus in self.buses:
            await bus.stop(grace_seconds=1.0)
            await bus.close()
        if self.adapter == "rabbitmq" and self.url is not None:
            topics = {s.topic for s in self.subscriptions}
            await delete_topology(self.url, self.prefix, topics, self.subscriptions)


def _adapters() -> list[Any]:
    adapters: list[Any] = ["memory", "rabbitmq"]
    if os.environ.get("PRECISE_SERVICEBUS_CONNECTION"):
        adapters.append(pytest.param("servicebus", marks=pytest.mark.servicebus))
    return adapters


def _rig(adapter: str, stack: ExitStack) -> BusRig:
    prefix = f"t{uuid.uuid4().hex[:10]}-"
    if adapter == "memory":
        memory = InMemoryBus(retry=FAST_RETRY)
        return BusRig(adapter, prefix, None, lambda: memory)
    if adapter == "rabbitmq":
        url = rabbitmq_url(stack)
        return BusRig(adapter, prefix, url, lambda: RabbitMQBus(url, prefix=prefix, retry=FAST_RETRY))
    from precise_chassis.bus.servicebus import servicebus_bus_from_env

    def servicebus() -> Bus:
        bus = servicebus_bus_from_env(prefix)
        if bus is None:
            pytest.fail("PRECISE_SERVICEBUS_CONNECTION was unset while the suite ran", pytrace=False)
        return bus

    return BusRig(adapter, prefix, None, servicebus)


@pytest.fixture(params=_adapters())
async def rig(request: pytest.FixtureRequest) -> AsyncIterator[BusRig]:
    """Override per module with `pytest.mark.parametrize("rig", [...], indirect=True)`."""
    with ExitStack() as stack:
        made = _rig(request.param, stack)
        try:
            yield made
        finally:
            await made.close()
