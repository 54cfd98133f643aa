"""The RabbitMQ adapter beyond the conformance suite: its topology, its messages on the wire, and how it
copes with what the broker or other clients do."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from datetime import datetime
from typing import TYPE_CHECKING, ClassVar

import aio_pika
import pytest
from aio_pika.abc import AbstractChannel, AbstractExchange, DeliveryMode
from aio_pika.exceptions import ChannelPreconditionFailed

from precise_chassis.bus.port import (
    MAX_DELIVERY_EXCEEDED,
    UNPROCESSABLE,
    Bus,
    BusUnavailable,
    Delivery,
    RetryPolicy,
)
from precise_chassis.bus.rabbitmq import RabbitMQBus
from precise_contracts.envelope import Event
from precise_contracts.registry import Route, Subscription, Topic, TopicRegistry
from precise_contracts.topology.rabbitmq import (
    dead_letter_queue_name,
    definitions,
    exchange_name,
    queue_name,
)

if TYPE_CHECKING:
    from conftest import BusRig, Recorder

pytestmark = pytest.mark.parametrize("rig", ["rabbitmq"], indirect=True)

NOTE_ADDED = "note-added"


class NoteAdded(Event):
    """A note was added to a case (synthetic, for the bus tests)."""

    type: ClassVar[str] = "uk.police.precise.conformance.note-added.v1"

    note: str


@pytest.fixture
async def raw(rig: BusRig) -> AsyncIterator[AbstractChannel]:
    """A plain aio-pika channel on the same broker, to look at what the adapter did."""
    assert rig.url is not None
    connection = await aio_pika.connect(rig.url)
    async with connection:
        yield await connection.channel()


async def test_the_declared_topology_is_the_generated_definitions(rig: BusRig, raw: AbstractChannel) -> None:
    registry = TopicRegistry(
        topics=(Topic(name="casework", description="case notes", producers=("bus-conformance",)),),
        routes=(Route(event=NoteAdded, topic="casework", consumers=("risk-summary", "person-profile")),),
        max_delivery={"risk-summary": 4},
    )
    await rig.declare(rig.bus(), *registry.subscriptions())
    generated = definitions(registry, rig.prefix)

    # Re-declaring with the generated type and arguments succeeds only if they are what the broker holds.
    for exchange in generated["exchanges"]:
        await raw.declare_exchange(exchange["name"], exchange["type"], durable=True)
    for queue in generated["queues"]:
        await raw.declare_queue(queue["name"], durable=True, arguments=queue["arguments"])
    risk = next(q for q in generated["queues"] if q["name"] == f"{rig.prefix}casework.risk-summary")
    assert risk["arguments"]["x-delivery-limit"] == 4
    with pytest.raises(ChannelPreconditionFailed):
        await raw.declare_queue(risk["name"], durable=True, arguments={**risk["arguments"], "x-delivery-limit": 5})


async def test_a_message_on_the_wire_is_a_binary_mode_cloudevent(rig: BusRig, raw: AbstractChannel) -> None:
    bus = rig.bus()
    risk = rig.subscription("casework", "risk-summary", NOTE_ADDED)
    await rig.declare(bus, risk)
    note = rig.envelope(NOTE_ADDED, note="statement from the neighbour")
    await bus.publish("casework", [note])

    queue = await raw.get_queue(queue_name(risk, rig.prefix), ensure=False)
    message = await queue.get(no_ack=True, timeout=5)

    assert message.body == note.data  # the payload, byte for byte as the producer serialised it
    assert json.loads(message.body) == {"note": "statement from the neighbour"}
    assert message.content_type == "application/json"
    assert message.message_id == note.id
    assert message.type == note.type
    assert message.routing_key == note.type
    assert message.delivery_mode == DeliveryMode.PERSISTENT
    assert message.headers["cloudEvents_specversion"] == "1.0"
    assert message.headers["cloudEvents_id"] == note.id
    assert message.headers["cloudEvents_source"] == "/precise/bus-conformance"
    assert message.headers["cloudEvents_type"] == note.type
    assert datetime.fromisoformat(str(message.headers["cloudEvents_time"])) == note.time
    assert message.headers["traceparent"] == note.traceparent


async def _consuming_beside_a_raw_publisher(
    rig: BusRig, raw: AbstractChannel, risk: Subscription
) -> tuple[Bus, Recorder, AbstractExchange]:
    """The subscription consuming casework through the bus, and the casework exchange for a tool to publish to."""
    bus = rig.bus()
    await rig.declare(bus, risk)
    handler = rig.recorder()
    await bus.consume(risk, handler)
    return bus, handler, await raw.get_exchange(exchange_name("casework", rig.prefix), ensure=False)


async def test_a_structured_mode_message_from_a_tool_is_delivered_as_its_envelope(
    rig: BusRig, raw: AbstractChannel
) -> None:
    risk = rig.subscription("casework", "risk-summary", NOTE_ADDED)
    _, handler, exchange = await _consuming_beside_a_raw_publisher(rig, raw, risk)
    note = rig.envelope(NOTE_ADDED, note="typed in by hand")

    structured = aio_pika.Message(note.to_bytes(), content_type="application/cloudevents+json; charset=utf-8")
    await exchange.publish(structured, note.type)

    await rig.eventually(lambda: handler.ids() == [note.id], "the structured message")
    assert handler.deliveries[0].envelope == note


async def test_many_envelopes_are_all_confirmed_before_publish_returns(rig: BusRig, raw: AbstractChannel) -> None:
    bus = rig.bus()
    risk = rig.subscription("casework", "risk-summary", NOTE_ADDED)
    await rig.declare(bus, risk)

    await bus.publish("casework", [rig.envelope(NOTE_ADDED, n=n) for n in range(300)])

    queue = await raw.declare_queue(queue_name(risk, rig.prefix), passive=True)
    assert queue.declaration_result.message_count == 300


async def test_a_body_that_is_not_an_envelope_is_dead_lettered_and_blocks_nothing(
    rig: BusRig, raw: AbstractChannel
) -> None:
    risk = rig.subscription("casework", "risk-summary", NOTE_ADDED)
    bus, handler, exchange = await _consuming_beside_a_raw_publisher(rig, raw, risk)
    good = rig.envelope(NOTE_ADDED, note="well formed")

    await exchange.publish(aio_pika.Message(b"<note>legacy XML</note>", message_id="legacy-1"), good.type)
    await bus.publish("casework", [good])

    await rig.eventually(lambda: handler.ids() == [good.id], "the good message")
    dead_letters = await raw.get_queue(dead_letter_queue_name(risk, rig.prefix), ensure=False)
    letter = await _get_soon(dead_letters)
    assert letter.body == b"<note>legacy XML</note>"
    assert letter.headers["x-precise-dead-letter-reason"] == UNPROCESSABLE
    assert "not a Precise CloudEvent" in str(letter.headers["x-precise-dead-letter-description"])


async def test_a_message_the_broker_dead_letters_itself_shows_as_max_delivery_exceeded(
    rig: BusRig, raw: AbstractChannel
) -> None:
    bus = rig.bus()
    risk = rig.subscription("casework", "risk-summary", NOTE_ADDED, max_delivery=1)
    await rig.declare(bus, risk)
    note = rig.envelope(NOTE_ADDED, note="its consumer kept dying")
    await bus.publish("casework", [note])

    # A consumer that dies before settling, again and again: only the queue's delivery limit stops it.
    queue = await raw.get_queue(queue_name(risk, rig.prefix), ensure=False)
    while (message := await queue.get(fail=False, timeout=5)) is not None:
        await message.nack(requeue=True)

    (letter,) = await rig.dead_letters(bus, risk)
    assert letter.envelope == note
    assert letter.reason == MAX_DELIVERY_EXCEEDED
    assert "delivery_limit" in letter.description


async def test_a_publish_to_a_missing_exchange_fails_and_the_next_one_works(rig: BusRig) -> None:
    bus = rig.bus()
    risk = rig.subscription("casework", "risk-summary", NOTE_ADDED)
    await rig.declare(bus, risk)
    handler = rig.recorder()
    await bus.consume(risk, handler)

    with pytest.raises(BusUnavailable, match="never-declared"):
        await bus.publish("never-declared", [rig.envelope(NOTE_ADDED)])
    note = rig.envelope(NOTE_ADDED, note="after the failed publish")
    await bus.publish("casework", [note])

    await rig.eventually(lambda: handler.ids() == [note.id], "the later message")


async def test_a_failed_message_waits_for_the_back_off_before_redelivery(rig: BusRig) -> None:
    assert rig.url is not None
    bus = RabbitMQBus(rig.url, prefix=rig.prefix, retry=RetryPolicy(base_seconds=0.3, cap_seconds=1.0))
    rig.buses.append(bus)
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

    assert seen_at[1] - seen_at[0] >= 0.3


async def test_a_message_backing_off_comes_back_though_later_ones_were_acknowledged_together(rig: BusRig) -> None:
    """Later messages are acknowledged in batches while an earlier one waits out its back-off: no batch may
    acknowledge it with them, or it would never come back."""
    assert rig.url is not None
    bus = RabbitMQBus(rig.url, prefix=rig.prefix, retry=RetryPolicy(base_seconds=0.5, cap_seconds=1.0))
    rig.buses.append(bus)
    risk = rig.subscription("casework", "risk-summary", NOTE_ADDED)
    await rig.declare(bus, risk)
    handled: list[tuple[str, int]] = []

    async def fail_the_third_once(delivery: Delivery) -> None:
        handled.append((delivery.envelope.id, delivery.delivery_count))
        if len(handled) == 3:
            raise ConnectionError("PNC lookup timed out")

    envelopes = [rig.envelope(NOTE_ADDED) for _ in range(30)]
    await bus.consume(risk, fail_the_third_once, concurrency=40)
    await bus.publish("casework", envelopes)
    await rig.eventually(lambda: len(handled) == 31, "every message, and the failed one again")
    await bus.stop()  # what is still unacknowledged goes back to the queue

    third = envelopes[2].id
    assert sorted(handled) == sorted([(e.id, 1) for e in envelopes] + [(third, 2)])
    assert await _messages_in(rig, queue_name(risk, rig.prefix)) == 0


async def test_after_the_connection_drops_the_consumer_goes_on_and_the_message_it_held_comes_back(
    rig: BusRig,
) -> None:
    assert rig.url is not None
    bus = RabbitMQBus(f"{rig.url}?reconnect_interval=0.1", prefix=rig.prefix)
    rig.buses.append(bus)
    risk = rig.subscription("casework", "risk-summary", NOTE_ADDED)
    await rig.declare(bus, risk)
    held, never = rig.envelope(NOTE_ADDED), asyncio.Event()
    handled: list[tuple[str, int]] = []

    async def hold_one(delivery: Delivery) -> None:
        if delivery.envelope.id == held.id and delivery.delivery_count == 1:
            await never.wait()  # still being handled when the connection drops, which cancels it
        handled.append((delivery.envelope.id, delivery.delivery_count))

    before = [rig.envelope(NOTE_ADDED), held, rig.envelope(NOTE_ADDED)]
    await bus.consume(risk, hold_one, concurrency=10)
    await bus.publish("casework", before)
    await rig.eventually(lambda: len(handled) == 2, "the messages around the held one")
    await asyncio.sleep(0.3)  # their acknowledgements follow their handlers; let them reach the broker

    connection = await bus._connect()
    await connection.reconnect()  # as a network failure would: the channel goes, and the held message with it
    after = [rig.envelope(NOTE_ADDED) for _ in range(5)]
    await bus.publish("casework", after)
    await rig.eventually(lambda: len(handled) == 8, "the held message again, and those published since")
    await bus.stop()

    assert sorted(handled) == sorted([(e.id, 1) for e in before + after if e is not held] + [(held.id, 2)])
    assert await _messages_in(rig, queue_name(risk, rig.prefix)) == 0


async def test_ping_reconnects_after_close(rig: BusRig) -> None:
    bus = rig.bus()
    await bus.ping()
    await bus.close()
    await bus.ping()


async def _get_soon(queue: aio_pika.abc.AbstractQueue) -> aio_pika.abc.AbstractIncomingMessage:
    deadline = time.monotonic() + 10
    while (message := await queue.get(no_ack=True, fail=False, timeout=5)) is None:
        assert time.monotonic() < deadline, f"nothing arrived on {queue.name}"
        await asyncio.sleep(0.05)
    return message


async def _messages_in(rig: BusRig, queue: str) -> int:
    assert rig.url is not None
    connection = await aio_pika.connect(rig.url)
    async with connection:
        channel = await connection.channel()
        declared = await channel.declare_queue(queue, passive=True)
        return declared.declaration_result.message_count or 0
