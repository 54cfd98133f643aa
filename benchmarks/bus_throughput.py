"""Events/s through outbox -> RabbitMQ -> handler (PostgreSQL outbox and inbox), against raw aio-pika
publish/consume of the same 1 KiB payloads on the same broker, same queue type, in the same run.

Target (issue 2): ratio >= 0.5, goal 0.8.
"""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from contextlib import ExitStack

import aio_pika
from sqlalchemy import text

from precise_chassis.bus.port import Delivery
from precise_chassis.bus.rabbitmq import RabbitMQBus
from precise_chassis.database import Database
from precise_chassis.dispatch import Dispatcher
from precise_chassis.migrate import migrate
from precise_chassis.outbox import OutboxRelay
from precise_chassis.testing import services
from precise_chassis.testing.casework import REGISTRY, CaseNoteAdded
from precise_chassis.uow import UnitOfWork

EVENTS = int(os.environ.get("PRECISE_BENCH_EVENTS", "20000"))
CONCURRENCY = int(os.environ.get("PRECISE_BENCH_CONCURRENCY", "64"))
WRITE_BATCH = 100
NOTE = "x" * 1000  # with the case reference the payload is ~1 KiB


async def raw_aio_pika(url: str, count: int) -> float:
    """Publish with confirms (pipelined) and consume with manual acks on a quorum queue; events/s."""
    body = CaseNoteAdded(case_ref="CASE/2026/0001", note=NOTE).model_dump_json().encode()
    connection = await aio_pika.connect_robust(url)
    try:
        channel = await connection.channel(publisher_confirms=True)
        name = f"bench-raw-{uuid.uuid4().hex[:8]}"
        exchange = await channel.declare_exchange(name, aio_pika.ExchangeType.TOPIC, auto_delete=True)
        queue = await channel.declare_queue(name, durable=True, arguments={"x-queue-type": "quorum"})
        await queue.bind(exchange, routing_key=CaseNoteAdded.type)
        consumer_channel = await connection.channel()
        await consumer_channel.set_qos(prefetch_count=CONCURRENCY)
        consumer_queue = await consumer_channel.get_queue(name)
        done = asyncio.Event()
        received = 0

        async def on_message(message: aio_pika.abc.AbstractIncomingMessage) -> None:
            nonlocal received
            await message.ack()
            received += 1
            if received == count:
                done.set()

        started = time.perf_counter()
        await consumer_queue.consume(on_message)
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
        await asyncio.wait_for(done.wait(), timeout=600)
        elapsed = time.perf_counter() - started
        await queue.delete(if_unused=False, if_empty=False)
        return count / elapsed
    finally:
        await connection.close()


async def precise_pipeline(url: str, database_url: str, count: int) -> float:
    """Write events through the unit of work, relay them to RabbitMQ, handle them with inbox claims; events/s."""
    prefix = f"bench-{uuid.uuid4().hex[:8]}."
    producer_db = Database.postgres(database_url, f"bench_producer_{uuid.uuid4().hex[:8]}")
    consumer_db = Database.postgres(database_url, f"bench_consumer_{uuid.uuid4().hex[:8]}")
    bus = RabbitMQBus(url, prefix=prefix)
    relay = OutboxRelay(producer_db, bus, service="casework", batch_size=500, poll_seconds=0.05)
    try:
        await migrate(producer_db)
        await migrate(consumer_db)
        subscription = REGISTRY.subscriptions("case-index")[0]
        await bus.ensure_topology(REGISTRY.topics, [subscription])
        handled = 0
        done = asyncio.Event()

        async def count_note(_event: CaseNoteAdded, _uow: UnitOfWork) -> None:
            nonlocal handled
            handled += 1
            if handled == count:
                done.set()

        dispatcher = Dispatcher(
            subscription=subscription.queue,
            handlers={CaseNoteAdded: count_note},
            unit_of_work=lambda: UnitOfWork(consumer_db, service="case-index", registry=REGISTRY),
        )

        async def handle(delivery: Delivery) -> None:
            await dispatcher.dispatch(delivery)

        started = time.perf_counter()
        await bus.consume(subscription, handle, concurrency=CONCURRENCY)
        relay.start()
        for offset in range(0, count, WRITE_BATCH):
            async with UnitOfWork(producer_db, service="casework", registry=REGISTRY, on_commit=relay.wake) as uow:
                for _ in range(min(WRITE_BATCH, count - offset)):
                    uow.publish(CaseNoteAdded(case_ref="CASE/2026/0001", note=NOTE))
        await asyncio.wait_for(done.wait(), timeout=600)
        return count / (time.perf_counter() - started)
    finally:
        await relay.stop(flush_within=1)
        await bus.close()
        for db in (producer_db, consumer_db):
            async with db.engine.begin() as conn:
                await conn.execute(text(f'DROP SCHEMA IF EXISTS "{db.schema}" CASCADE'))
            await db.dispose()


async def main() -> None:
    with ExitStack() as stack:
        url = services.rabbitmq_url(stack)
        database_url = services.postgres_url(stack)
        await raw_aio_pika(url, min(2000, EVENTS))  # warm the broker up
        raw = await raw_aio_pika(url, EVENTS)
        ours = await precise_pipeline(url, database_url, EVENTS)
    print(f"bus: {EVENTS} events of ~1 KiB, consumer concurrency {CONCURRENCY}")
    print(f"  raw aio-pika publish -> consume (quorum queue, confirms, acks): {raw:10,.0f} events/s")
    print(f"  precise outbox -> RabbitMQ -> inbox + handler (PostgreSQL):    {ours:10,.0f} events/s")
    print(f"  ratio {ours / raw:.2f} (target >= 0.5, goal 0.8)")
