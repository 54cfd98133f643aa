"""Events/s through outbox -> RabbitMQ -> handler, against raw aio-pika publish/consume of the same 1 KiB
payloads on the same broker, same queue type (quorum, persistent, confirms, manual acks), in the same run.

Both run as they are deployed: the producer in one process and the consumer in another (two services),
so each side has its own interpreter. Precise adds what raw aio-pika lacks: the producer commits each
event to its PostgreSQL outbox and a relay publishes it; the consumer claims it in its PostgreSQL inbox
and runs the handler in the same transaction before acking.

Target (issue 2): ratio >= 0.5, goal 0.8.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import time
import uuid
from collections.abc import Awaitable, Callable, Coroutine
from contextlib import ExitStack
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

import aio_pika
from sqlalchemy import text

from benchmarks.cpu_share import CpuShare, sampled
from precise_chassis import eventloop
from precise_chassis.bus.rabbitmq import RabbitMQBus
from precise_chassis.database import Database
from precise_chassis.dispatch import Dispatcher
from precise_chassis.heap import settle_after_start_up
from precise_chassis.migrate import migrate
from precise_chassis.outbox import OutboxRelay
from precise_chassis.testing import services
from precise_chassis.testing.casework import REGISTRY, CaseNoteAdded
from precise_chassis.testing.rabbitmq import delete_topology
from precise_chassis.uow import UnitOfWork
from precise_contracts.envelope import Event
from precise_contracts.registry import Subscription, TopicRegistry

EVENTS = int(os.environ.get("PRECISE_BENCH_EVENTS", "20000"))
CONCURRENCY = int(os.environ.get("PRECISE_BENCH_CONCURRENCY", "64"))
WRITE_BATCH = 100
NOTE = "x" * 1000  # with the case reference the payload is ~1 KiB
SUBSCRIPTION = REGISTRY.subscriptions("case-index")[0]


def note() -> CaseNoteAdded:
    return CaseNoteAdded(case_ref="CASE/2026/0001", note=NOTE)


# --- raw aio-pika -------------------------------------------------------------------------------------


async def raw_consume(url: str, queue_name: str, count: int, ready: Callable[[], None]) -> float:
    connection = await aio_pika.connect_robust(url)
    async with connection:
        channel = await connection.channel()
        await channel.set_qos(prefetch_count=CONCURRENCY)
        queue = await channel.get_queue(queue_name)
        done = asyncio.Event()
        received = 0

        async def on_message(message: aio_pika.abc.AbstractIncomingMessage) -> None:
            nonlocal received
            await message.ack()
            received += 1
            if received == count:
                done.set()

        await queue.consume(on_message)
        ready()
        await done.wait()
        return time.time()


async def raw_publish(url: str, queue_name: str, count: int) -> None:
    body = note().model_dump_json().encode()
    connection = await aio_pika.connect_robust(url)
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        exchange = await channel.get_exchange(queue_name)
        for offset in range(0, count, WRITE_BATCH):
            await asyncio.gather(
                *(
                    exchange.publish(
                        aio_pika.Message(
                            body, message_id=str(uuid.uuid4()), delivery_mode=aio_pika.DeliveryMode.PERSISTENT
                        ),
                        routing_key=CaseNoteAdded.type,
                    )
                    for _ in range(min(WRITE_BATCH, count - offset))
                )
            )


async def raw_topology(url: str, name: str, *, delete: bool = False) -> None:
    connection = await aio_pika.connect_robust(url)
    async with connection:
        channel = await connection.channel()
        if delete:
            await channel.queue_delete(name)
            await channel.exchange_delete(name)
            return
        exchange = await channel.declare_exchange(name, aio_pika.ExchangeType.TOPIC, durable=True)
        queue = await channel.declare_queue(name, durable=True, arguments={"x-queue-type": "quorum"})
        await queue.bind(exchange, routing_key=CaseNoteAdded.type)


# --- Precise --------------------------------------------------------------------------------------------


async def count_handled(
    url: str,
    prefix: str,
    schema: str,
    database_url: str,
    subscription: Subscription,
    registry: TopicRegistry,
    weigh: Callable[[Event], int],
    expected: int,
    ready: Callable[[], None],
) -> float:
    """A consumer service: every event of the subscription goes through the Dispatcher (inbox claim and
    handler in one PostgreSQL transaction); returns the time the weighed events reached `expected`."""
    db = Database.postgres(database_url, schema)
    bus = RabbitMQBus(url, prefix=prefix)
    try:
        await migrate(db)
        counted = 0
        done = asyncio.Event()

        async def count(event: Event, _uow: UnitOfWork) -> None:
            nonlocal counted
            counted += weigh(event)
            if counted >= expected:
                done.set()

        dispatcher = Dispatcher(
            subscription=subscription.queue,
            handlers={registry.event_class(t): count for t in subscription.event_types},
            unit_of_work=lambda: UnitOfWork(db, service=subscription.service, registry=registry),
        )
        await bus.consume(subscription, dispatcher, concurrency=CONCURRENCY)
        settle_after_start_up()  # as `precise run` does for a service
        ready()
        await done.wait()
        return time.time()
    finally:
        await bus.close()
        await db.dispose()


def _one(_event: Event) -> int:
    return 1


async def precise_consume(
    url: str, prefix: str, schema: str, database_url: str, count: int, ready: Callable[[], None]
) -> float:
    return await count_handled(url, prefix, schema, database_url, SUBSCRIPTION, REGISTRY, _one, count, ready)


async def precise_produce(url: str, prefix: str, schema: str, database_url: str, count: int) -> None:
    db = Database.postgres(database_url, schema)
    bus = RabbitMQBus(url, prefix=prefix)
    relay = OutboxRelay(db, bus, service="casework", batch_size=500, poll_seconds=0.05)
    try:
        await migrate(db)
        relay.start()
        settle_after_start_up()
        for offset in range(0, count, WRITE_BATCH):
            async with UnitOfWork(db, service="casework", registry=REGISTRY, on_commit=relay.wake) as uow:
                for _ in range(min(WRITE_BATCH, count - offset)):
                    uow.publish(note())
        await relay.stop(flush_within=600)
    finally:
        await bus.close()
        await db.dispose()


# --- the run --------------------------------------------------------------------------------------------


def _consumer_process(
    consume: Callable[..., Coroutine[Any, Any, float]], args: tuple[object, ...], pipe: Connection
) -> None:
    finished: float = eventloop.run(consume(*args, lambda: pipe.send("ready")))
    pipe.send(finished)


@dataclass(frozen=True)
class Rate:
    events_per_second: float
    cpu: CpuShare  # what each part of the host spent meanwhile

    def cpu_an_event(self) -> str:
        return self.cpu.per_record(EVENTS, names={"service": "producer"})


async def timed(
    consume: Callable[..., Awaitable[float]], consume_args: tuple[object, ...], produce: Awaitable[None]
) -> Rate:
    """Start the consumer process, then produce here; events/s from the first write to the last handled."""
    ours, theirs = multiprocessing.get_context("spawn").Pipe()
    child = multiprocessing.get_context("spawn").Process(target=_consumer_process, args=(consume, consume_args, theirs))
    child.start()
    try:
        if not await asyncio.to_thread(ours.poll, 120) or ours.recv() != "ready":
            raise RuntimeError("the consumer process did not start")
        with sampled(consumer=child.pid or 0) as cpu:
            started = time.time()
            await produce
            if not await asyncio.to_thread(ours.poll, 600):
                raise RuntimeError("the consumer process did not finish")
            finished: float = ours.recv()
        return Rate(EVENTS / (finished - started), cpu)
    finally:
        child.join(timeout=30)


async def raw_rate(url: str) -> Rate:
    name = f"bench-raw-{uuid.uuid4().hex[:8]}"
    await raw_topology(url, name)
    try:
        return await timed(raw_consume, (url, name, EVENTS), raw_publish(url, name, EVENTS))
    finally:
        await raw_topology(url, name, delete=True)


async def precise_rate(url: str, database_url: str) -> Rate:
    prefix = f"bench-{uuid.uuid4().hex[:8]}."
    producer, consumer = (f"bench_{side}_{uuid.uuid4().hex[:8]}" for side in ("producer", "consumer"))
    setup = RabbitMQBus(url, prefix=prefix)
    await setup.ensure_topology(REGISTRY.topics, [SUBSCRIPTION])
    await setup.close()
    try:
        return await timed(
            precise_consume,
            (url, prefix, consumer, database_url, EVENTS),
            precise_produce(url, prefix, producer, database_url, EVENTS),
        )
    finally:
        await _drop_schemas(database_url, producer, consumer)
        await delete_topology(url, prefix, [t.name for t in REGISTRY.topics], [SUBSCRIPTION])


async def _drop_schemas(database_url: str, *schemas: str) -> None:
    db = Database.postgres(database_url, "public")
    async with db.engine.begin() as conn:
        for schema in schemas:
            await conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    await db.dispose()


async def main() -> None:
    with ExitStack() as stack:
        url = services.rabbitmq_url(stack)
        database_url = services.postgres_url(stack)
        raw = await raw_rate(url)
        ours = await precise_rate(url, database_url)
    print(f"bus: {EVENTS:,} events of ~1 KiB, consumer prefetch {CONCURRENCY}, producer and consumer in two processes")
    print(f"  raw aio-pika publish -> consume (quorum queue, confirms, acks): {raw.events_per_second:10,.0f} events/s")
    print(f"    CPU an event: {raw.cpu_an_event()}")
    print(f"  precise outbox -> RabbitMQ -> inbox + handler (PostgreSQL):    {ours.events_per_second:10,.0f} events/s")
    print(f"    CPU an event: {ours.cpu_an_event()}")
    print(f"  ratio {ours.events_per_second / raw.events_per_second:.2f} (target >= 0.5, goal 0.8)")
