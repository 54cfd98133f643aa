"""The Azure Service Bus adapter: batching, the subscription pump's settlement and shutdown, error mapping,
and (marked `servicebus`, only with PRECISE_SERVICEBUS_CONNECTION) what the conformance suite does not
cover: broker duplicate detection and a publish larger than one batch.

The pump runs against a small in-memory receiver that redelivers abandoned messages with the delivery
count raised, as the broker does; its messages are real ServiceBusReceivedMessage objects.
"""

from __future__ import annotations

import asyncio
import socket
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from azure.servicebus import ServiceBusMessage, ServiceBusMessageBatch, ServiceBusReceivedMessage
from azure.servicebus._pyamqp.message import Header
from azure.servicebus._transport._pyamqp_transport import PyamqpTransport
from azure.servicebus.exceptions import (
    MessageLockLostError,
    MessageSizeExceededError,
    ServiceBusConnectionError,
)

from precise_chassis.bus.port import (
    MAX_DELIVERY_EXCEEDED,
    UNPROCESSABLE,
    BusUnavailable,
    Delivery,
    RetryPolicy,
    Unprocessable,
)
from precise_chassis.bus.servicebus import (
    CONNECTION_ENV,
    PREFIX_ENV,
    ServiceBusBus,
    SubscriptionPump,
    fill_batches,
    servicebus_bus_from_env,
)
from precise_chassis.bus.servicebus_mapping import to_message
from precise_contracts.envelope import Envelope
from precise_contracts.registry import Subscription, Topic

SEIZED = "uk.police.precise.evidence.exhibit-seized.v1"
FAST = RetryPolicy(base_seconds=0.01, cap_seconds=0.02)
RISK = Subscription("evidence", "risk-summary", frozenset({SEIZED}), max_delivery=3)
EMULATOR_KEY = "SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=SAS_KEY_VALUE"


def envelope(**data: Any) -> Envelope:
    return Envelope(
        id=str(uuid.uuid4()),
        source="/precise/evidence-vault",
        type=SEIZED,
        subject="EXH/2026/0042",
        time=datetime.now(UTC),
        data=data or {"exhibit": "EXH/2026/0042"},
    )


def as_received(message: ServiceBusMessage, delivery_count: int = 0) -> ServiceBusReceivedMessage:
    """A message as the broker hands it over, `delivery_count` prior attempts on its AMQP header."""
    amqp = PyamqpTransport.to_outgoing_amqp_message(message.raw_amqp_message)
    return ServiceBusReceivedMessage(amqp._replace(header=Header(delivery_count=delivery_count)), receiver=None)


class Broker:
    """One subscription's peek-lock queue: abandon puts a message back with its delivery count raised."""

    def __init__(self, *messages: ServiceBusMessage) -> None:
        self.waiting = [as_received(m) for m in messages]
        self.completed: list[str] = []
        self.abandoned: list[str] = []
        self.dead_lettered: list[tuple[str, str | None, str | None]] = []
        self.closed = False
        self.lock_lost: set[str] = set()
        self.outages = 0  # receives still to fail

    async def receive_messages(
        self, max_message_count: int | None = 1, max_wait_time: float | None = None
    ) -> list[ServiceBusReceivedMessage]:
        if self.outages:
            self.outages -= 1
            raise ServiceBusConnectionError(message="connection reset")
        if not self.waiting:
            await asyncio.sleep(0.005)
            return []
        count = max_message_count or 1
        page, self.waiting = self.waiting[:count], self.waiting[count:]
        return page

    async def complete_message(self, message: ServiceBusReceivedMessage) -> None:
        if message.message_id in self.lock_lost:
            raise MessageLockLostError(message="the lock expired")
        self.completed.append(str(message.message_id))

    async def abandon_message(self, message: ServiceBusReceivedMessage) -> None:
        self.abandoned.append(str(message.message_id))
        again = ServiceBusMessage(
            b"".join(message.body),
            content_type=message.content_type,
            message_id=message.message_id,
            subject=message.subject,
            application_properties={
                (k.decode() if isinstance(k, bytes) else k): v.decode() if isinstance(v, bytes) else v
                for k, v in (message.application_properties or {}).items()
            },
        )
        self.waiting.append(as_received(again, (message.delivery_count or 0) + 1))

    async def dead_letter_message(
        self,
        message: ServiceBusReceivedMessage,
        reason: str | None = None,
        error_description: str | None = None,
    ) -> None:
        self.dead_lettered.append((str(message.message_id), reason, error_description))

    async def close(self) -> None:
        self.closed = True


async def eventually(check: Callable[[], bool], what: str, within: float = 5.0) -> None:
    deadline = time.monotonic() + within
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.005)


def pump(broker: Broker, handler: Callable[[Delivery], Awaitable[None]], *, concurrency: int = 4) -> SubscriptionPump:
    return SubscriptionPump(broker, RISK, handler, concurrency=concurrency, retry=FAST)


async def test_a_handled_message_is_completed_and_its_handler_sees_the_first_delivery() -> None:
    sent = envelope()
    broker = Broker(to_message(sent))
    seen: list[Delivery] = []

    async def handle(delivery: Delivery) -> None:
        seen.append(delivery)

    running = pump(broker, handle)
    await eventually(lambda: broker.completed == [sent.id], "completion")
    await running.stop(1.0)

    assert [(d.envelope, d.delivery_count, d.subscription) for d in seen] == [(sent, 1, RISK)]
    assert broker.abandoned == []
    assert broker.closed


async def test_a_failing_message_is_retried_then_dead_lettered_on_its_last_delivery() -> None:
    sent = envelope()
    broker = Broker(to_message(sent))
    counts: list[int] = []

    async def handle(delivery: Delivery) -> None:
        counts.append(delivery.delivery_count)
        raise ConnectionError("custody store refused the write")

    running = pump(broker, handle)
    await eventually(lambda: bool(broker.dead_lettered), "the dead letter")
    await running.stop(1.0)

    assert counts == [1, 2, 3]
    assert broker.abandoned == [sent.id, sent.id]
    assert broker.dead_lettered == [
        (sent.id, MAX_DELIVERY_EXCEEDED, "ConnectionError: custody store refused the write")
    ]
    assert broker.completed == []


async def test_an_unprocessable_message_is_dead_lettered_without_a_retry() -> None:
    sent = envelope()
    broker = Broker(to_message(sent))

    async def handle(delivery: Delivery) -> None:
        raise Unprocessable("exhibit reference is malformed")

    running = pump(broker, handle)
    await eventually(lambda: bool(broker.dead_lettered), "the dead letter")
    await running.stop(1.0)

    assert broker.dead_lettered == [(sent.id, UNPROCESSABLE, "exhibit reference is malformed")]
    assert broker.abandoned == []


async def test_a_message_that_is_not_an_event_never_reaches_the_handler() -> None:
    stranger = ServiceBusMessage(b"<xml/>", content_type="application/xml", message_id="legacy-1")
    good = envelope()
    broker = Broker(stranger, to_message(good))
    seen: list[str] = []

    async def handle(delivery: Delivery) -> None:
        seen.append(delivery.envelope.id)

    running = pump(broker, handle)
    await eventually(lambda: broker.completed == [good.id] and bool(broker.dead_lettered), "both settled")
    await running.stop(1.0)

    assert seen == [good.id]
    ((message_id, reason, description),) = broker.dead_lettered
    assert (message_id, reason) == ("legacy-1", UNPROCESSABLE)
    assert description is not None
    assert "application/xml" in description


async def test_no_more_handlers_run_at_once_than_the_concurrency_allows() -> None:
    sent = [envelope(n=n) for n in range(12)]
    broker = Broker(*(to_message(e) for e in sent))
    running_now = 0
    peak = 0

    async def handle(delivery: Delivery) -> None:
        nonlocal running_now, peak
        running_now += 1
        peak = max(peak, running_now)
        await asyncio.sleep(0.02)
        running_now -= 1

    running = pump(broker, handle, concurrency=3)
    await eventually(lambda: len(broker.completed) == 12, "every completion")
    await running.stop(1.0)

    assert peak == 3
    assert sorted(broker.completed) == sorted(e.id for e in sent)


async def test_a_lost_lock_does_not_stop_the_pump() -> None:
    first, second = envelope(), envelope()
    broker = Broker(to_message(first), to_message(second))
    broker.lock_lost.add(first.id)

    async def handle(delivery: Delivery) -> None:
        return None

    running = pump(broker, handle, concurrency=1)
    await eventually(lambda: broker.completed == [second.id], "the second completion")
    await running.stop(1.0)


async def test_the_pump_keeps_receiving_after_an_outage() -> None:
    sent = envelope()
    broker = Broker(to_message(sent))
    broker.outages = 2

    async def handle(delivery: Delivery) -> None:
        return None

    running = pump(broker, handle)
    await eventually(lambda: broker.completed == [sent.id], "completion after the outage")
    await running.stop(1.0)
    assert broker.outages == 0


async def test_stop_lets_an_in_flight_handler_finish_within_the_grace_period() -> None:
    sent = envelope()
    broker = Broker(to_message(sent))
    started = asyncio.Event()

    async def handle(delivery: Delivery) -> None:
        started.set()
        await asyncio.sleep(0.2)

    running = pump(broker, handle)
    await started.wait()
    await running.stop(5.0)

    assert broker.completed == [sent.id]
    assert broker.closed


async def test_stop_cancels_a_handler_that_outlasts_the_grace_period_and_leaves_it_locked() -> None:
    sent = envelope()
    broker = Broker(to_message(sent))
    started = asyncio.Event()
    cancelled = asyncio.Event()

    async def handle(delivery: Delivery) -> None:
        started.set()
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    running = pump(broker, handle)
    await started.wait()
    began = time.monotonic()
    await running.stop(0.2)

    assert time.monotonic() - began < 2.0
    assert cancelled.is_set()
    # Unsettled: its lock lapses and the broker redelivers it to the next consumer.
    assert (broker.completed, broker.abandoned, broker.dead_lettered) == ([], [], [])
    assert broker.closed


async def test_stop_does_not_wait_out_a_retry_back_off() -> None:
    sent = envelope()
    broker = Broker(to_message(sent))
    failed = asyncio.Event()

    async def handle(delivery: Delivery) -> None:
        failed.set()
        raise RuntimeError("transient")

    running = SubscriptionPump(broker, RISK, handle, concurrency=1, retry=RetryPolicy(base_seconds=30))
    await failed.wait()
    began = time.monotonic()
    await running.stop(5.0)

    assert time.monotonic() - began < 2.0
    assert broker.abandoned == [sent.id]  # released at once for another consumer


async def test_messages_are_packed_in_order_into_as_many_batches_as_needed() -> None:
    sent = [to_message(envelope(note="x" * 400, n=n)) for n in range(30)]

    async def small_batch() -> ServiceBusMessageBatch:
        return ServiceBusMessageBatch(max_size_in_bytes=4096)

    batches = await fill_batches(sent, small_batch)

    assert len(batches) > 1
    assert all(batch.size_in_bytes <= 4096 for batch in batches)
    # ServiceBusMessageBatch has no public iterator; _messages is what it will send, in order.
    assert [m.message_id for batch in batches for m in batch._messages] == [m.message_id for m in sent]


async def test_a_message_too_large_for_any_batch_is_refused() -> None:
    async def small_batch() -> ServiceBusMessageBatch:
        return ServiceBusMessageBatch(max_size_in_bytes=1024)

    with pytest.raises(MessageSizeExceededError):
        await fill_batches([to_message(envelope(note="x" * 5000))], small_batch)


@pytest.fixture
async def unreachable_bus() -> AsyncIterator[ServiceBusBus]:
    """A bus aimed at a closed port on this machine, without the SDK's own retries."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    bus = ServiceBusBus(
        connection_string=f"Endpoint=sb://127.0.0.1:{port};{EMULATOR_KEY};UseDevelopmentEmulator=true;",
        retry_total=0,
    )
    yield bus
    await bus.close()
    await bus.close()  # closing twice is harmless


async def test_an_unreachable_broker_is_reported_as_unavailable(unreachable_bus: ServiceBusBus) -> None:
    with pytest.raises(BusUnavailable, match="did not confirm 1 event"):
        await unreachable_bus.publish("evidence", [envelope()])
    with pytest.raises(BusUnavailable):
        await unreachable_bus.ping()
    with pytest.raises(BusUnavailable):
        await unreachable_bus.ensure_topology([Topic("evidence", "exhibits", ("evidence-vault",))], [RISK])
    with pytest.raises(BusUnavailable):
        await unreachable_bus.dead_letters(RISK)
    with pytest.raises(BusUnavailable):
        await unreachable_bus.replay_dead_letters(RISK)


def test_a_bus_needs_exactly_one_way_to_reach_the_namespace() -> None:
    with pytest.raises(ValueError, match="exactly one"):
        ServiceBusBus()
    with pytest.raises(ValueError, match="exactly one"):
        ServiceBusBus(
            connection_string=f"Endpoint=sb://localhost;{EMULATOR_KEY};UseDevelopmentEmulator=true;",
            fully_qualified_namespace="precise-dev.servicebus.windows.net",
        )


async def test_the_emulator_is_recognised_from_its_connection_string() -> None:
    emulator = ServiceBusBus(connection_string=f"Endpoint=sb://localhost;{EMULATOR_KEY};UseDevelopmentEmulator=true;")
    azure = ServiceBusBus(connection_string=f"Endpoint=sb://precise-dev.servicebus.windows.net/;{EMULATOR_KEY}")
    assert emulator.emulator
    assert not azure.emulator
    await emulator.close()
    await azure.close()


async def test_the_bus_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(CONNECTION_ENV, raising=False)
    monkeypatch.delenv(PREFIX_ENV, raising=False)
    assert servicebus_bus_from_env("t1-") is None

    monkeypatch.setenv(CONNECTION_ENV, f"Endpoint=sb://localhost;{EMULATOR_KEY};UseDevelopmentEmulator=true;")
    bus = servicebus_bus_from_env("t1-")
    assert bus is not None
    assert bus.entity("evidence") == "t1-evidence"
    await bus.close()

    monkeypatch.setenv(PREFIX_ENV, "precise-")  # the emulator's Config.json fixes the names
    fixed = servicebus_bus_from_env("t1-")
    assert fixed is not None
    assert fixed.entity("evidence") == "precise-evidence"
    await fixed.close()


# --- against a real namespace or the emulator ----------------------------------------------------------

LIVE_TOPIC = "sbadapter"
LIVE = Subscription(LIVE_TOPIC, "risk-summary", frozenset({SEIZED}), max_delivery=3)


@pytest.fixture
async def live_bus() -> AsyncIterator[ServiceBusBus]:
    bus = servicebus_bus_from_env(f"t{uuid.uuid4().hex[:10]}-")
    if bus is None:
        pytest.skip(f"{CONNECTION_ENV} is not set")
    await bus.ensure_topology([Topic(LIVE_TOPIC, "adapter tests", ("evidence-vault",))], [LIVE])
    await bus.purge(LIVE)  # the emulator's entities are shared between runs
    yield bus
    await bus.stop(2.0)
    if not bus.emulator:
        async with bus.administration() as admin:
            await admin.delete_topic(bus.entity(LIVE_TOPIC))
    await bus.close()


async def collect(bus: ServiceBusBus, wanted: int, settle: float = 2.0) -> list[Delivery]:
    seen: list[Delivery] = []

    async def handle(delivery: Delivery) -> None:
        seen.append(delivery)

    await bus.consume(LIVE, handle)
    await eventually(lambda: len(seen) >= wanted, f"{wanted} deliveries", within=60.0)
    await asyncio.sleep(settle)  # time for a duplicate to show up
    return seen


@pytest.mark.servicebus
async def test_the_broker_drops_a_second_publish_of_the_same_event(live_bus: ServiceBusBus) -> None:
    sent = envelope()
    await live_bus.publish(LIVE_TOPIC, [sent])
    await live_bus.publish(LIVE_TOPIC, [sent])  # the outbox relay retrying after a lost confirmation

    seen = await collect(live_bus, 1)
    assert [d.envelope for d in seen] == [sent]


@pytest.mark.servicebus
async def test_a_publish_larger_than_one_batch_arrives_whole(live_bus: ServiceBusBus) -> None:
    sent = [envelope(statement="s" * 4000, n=n) for n in range(120)]  # ~0.5 MB: over a 256 KB batch
    await live_bus.publish(LIVE_TOPIC, sent)

    seen = await collect(live_bus, len(sent), settle=0.5)
    assert sorted(d.envelope.id for d in seen) == sorted(e.id for e in sent)
