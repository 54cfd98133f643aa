"""Fault tolerance on the real servers: events committed while RabbitMQ is unreachable wait in the
PostgreSQL outbox and arrive, oldest first and once each, when it returns; a handler that crashes half-way
has one effect after RabbitMQ redelivers its event.

"The broker goes down" is a TcpProxy between the publishing service and RabbitMQ being cut: the shared
broker other test runs use keeps running, and the consumer, connected directly, never notices.
"""

from __future__ import annotations

import asyncio
import inspect
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import ExitStack
from urllib.parse import urlsplit

import aio_pika
import pytest
from sqlalchemy import func, select

from precise_chassis.bus.port import Delivery, RetryPolicy
from precise_chassis.bus.rabbitmq import RabbitMQBus
from precise_chassis.database import Database
from precise_chassis.dispatch import Dispatcher
from precise_chassis.outbox import OutboxRelay, RelayBackoff
from precise_chassis.tables import inbox, outbox
from precise_chassis.testing import services
from precise_chassis.testing.casework import REGISTRY, CaseNoteAdded, case_notes, metadata
from precise_chassis.testing.proxy import TcpProxy
from precise_chassis.uow import UnitOfWork
from precise_contracts.envelope import Envelope
from precise_contracts.topology.rabbitmq import definitions

pytestmark = [
    pytest.mark.integration,
    pytest.mark.parametrize("db", ["postgresql"], indirect=True),
    pytest.mark.timeout(30),
]

SUBSCRIPTION = REGISTRY.subscriptions("case-index")[0]
FAST_RETRY = RetryPolicy(base_seconds=0.01, cap_seconds=0.05)


@pytest.fixture(scope="module")
def rabbitmq_url() -> Iterator[str]:
    with ExitStack() as stack:
        yield services.rabbitmq_url(stack)


@pytest.fixture
async def prefix(rabbitmq_url: str) -> AsyncIterator[str]:
    """A random topology prefix; the casework exchanges and queues under it are deleted afterwards."""
    prefix = f"t{uuid.uuid4().hex[:10]}-"
    yield prefix
    topology = definitions(REGISTRY, prefix)
    async with await aio_pika.connect(rabbitmq_url) as connection:
        channel = await connection.channel()
        for queue in topology["queues"]:
            await channel.queue_delete(queue["name"])
        for exchange in topology["exchanges"]:
            await channel.exchange_delete(exchange["name"])


@pytest.fixture
async def direct_bus(rabbitmq_url: str, prefix: str) -> AsyncIterator[RabbitMQBus]:
    """A client connected straight to RabbitMQ: declares the topology and consumes."""
    bus = RabbitMQBus(rabbitmq_url, prefix=prefix, retry=FAST_RETRY)
    await bus.ensure_topology(REGISTRY.topics, REGISTRY.subscriptions())
    try:
        yield bus
    finally:
        await bus.stop(grace_seconds=1.0)
        await bus.close()


async def eventually(check: Callable[[], bool | Awaitable[bool]], what: str, *, within: float = 5.0) -> None:
    deadline = time.monotonic() + within
    while not await _holds(check()):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {within}s waiting for {what}")
        await asyncio.sleep(0.02)


async def _holds(outcome: bool | Awaitable[bool]) -> bool:
    return await outcome if inspect.isawaitable(outcome) else outcome


async def commit_notes(db: Database, relay: OutboxRelay, *notes: str) -> list[str]:
    async with UnitOfWork(db, service="casework", registry=REGISTRY, on_commit=relay.wake) as uow:
        return [uow.publish(CaseNoteAdded(case_ref="CASE/2026/0100", note=n)).id for n in notes]


async def oldest_pending(db: Database) -> tuple[int, str | None]:
    """Attempts and last error of the oldest unpublished outbox row."""
    async with db.session() as session:
        row = (
            await session.execute(
                select(outbox.c.attempts, outbox.c.last_error)
                .where(outbox.c.published_at.is_(None))
                .order_by(outbox.c.seq)
                .limit(1)
            )
        ).one()
    return int(row.attempts), row.last_error


async def retried(db: Database, times: int) -> bool:
    return (await oldest_pending(db))[0] >= times


async def drained(relay: OutboxRelay) -> bool:
    return (await relay.status()).pending == 0


async def test_events_committed_while_the_broker_is_down_arrive_oldest_first_once_each_after_it_returns(
    db: Database, rabbitmq_url: str, prefix: str, direct_bus: RabbitMQBus
) -> None:
    received: list[str] = []

    async def record(delivery: Delivery) -> None:
        received.append(delivery.envelope.id)

    await direct_bus.consume(SUBSCRIPTION, record, concurrency=1)  # one at a time: arrival order is kept

    broker = urlsplit(rabbitmq_url)
    async with TcpProxy(broker.hostname or "127.0.0.1", broker.port or 5672) as proxy:
        # aio-pika's robust connection retries every 5 s by default (it did recover so, in ~5 s); faster here
        proxied_url = f"amqp://guest:guest@127.0.0.1:{proxy.port}/?reconnect_interval=0.1"
        publisher = RabbitMQBus(proxied_url, prefix=prefix, publish_timeout=0.5, connect_timeout=1.0)
        relay = OutboxRelay(
            db,
            publisher,
            service="casework",
            poll_seconds=0.05,
            backoff=RelayBackoff(base_seconds=0.05, cap_seconds=0.2),
        )
        relay.start()
        try:
            before = await commit_notes(db, relay, "statement taken")
            await eventually(lambda: received == before, "the first note through the proxy")
            # marked sent: a confirm still on its way when the link is cut would make a (legal) duplicate
            await eventually(lambda: drained(relay), "the first note to be marked sent")
            assert proxy.open_connections >= 1  # the publisher really goes through the proxy

            await proxy.cut()
            during = await commit_notes(db, relay, "CCTV requested", "house-to-house started")
            during += await commit_notes(db, relay, "witness identified")
            during += await commit_notes(db, relay, "suspect interviewed", "file to CPS")

            await eventually(lambda: retried(db, 2), "the relay to retry while the broker is down")
            status = await relay.status()
            assert status.pending == len(during)
            _, last_error = await oldest_pending(db)
            assert "RabbitMQ" in (last_error or ""), "the reason is kept for the operator"
            assert received == before

            await proxy.restore()
            await eventually(lambda: len(received) >= len(before + during), "the outbox to drain", within=8)
            await asyncio.sleep(0.3)  # a duplicate or a straggler would show up by now
            assert received == before + during
            assert await drained(relay)
        finally:
            await relay.stop(flush_within=1.0)
            await publisher.close()


@pytest.fixture
async def casework_db(db: Database) -> Database:
    async with db.engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    return db


async def test_a_handler_that_crashes_half_way_has_one_effect_after_redelivery(
    casework_db: Database, direct_bus: RabbitMQBus
) -> None:
    deliveries: list[int] = []

    async def index_then_crash_once(event: CaseNoteAdded, uow: UnitOfWork) -> None:
        await uow.session.execute(case_notes.insert().values(case_ref=event.case_ref, note=event.note))
        if len(deliveries) == 1:
            raise ConnectionResetError("the index service lost its database half-way")

    dispatcher = Dispatcher(
        subscription=SUBSCRIPTION.queue,
        handlers={CaseNoteAdded: index_then_crash_once},
        unit_of_work=lambda: UnitOfWork(casework_db, service="case-index", registry=REGISTRY),
    )

    async def handle(delivery: Delivery) -> None:
        deliveries.append(delivery.delivery_count)
        await dispatcher(delivery)

    await direct_bus.consume(SUBSCRIPTION, handle)
    envelope = Envelope.wrap(CaseNoteAdded(case_ref="CASE/2026/0200", note="arrest made"), service="casework")
    await direct_bus.publish(SUBSCRIPTION.topic, [envelope])

    await eventually(lambda: len(deliveries) >= 2, "the redelivery")
    # the relay may publish an event twice (killed after the confirm, before marking it sent)
    await direct_bus.publish(SUBSCRIPTION.topic, [envelope])
    await eventually(lambda: len(deliveries) >= 3, "the duplicate")
    await asyncio.sleep(0.3)  # a further redelivery would show up by now

    assert deliveries == [1, 2, 1]
    async with casework_db.session() as session:
        notes = await session.scalar(
            select(func.count()).select_from(case_notes).where(case_notes.c.case_ref == "CASE/2026/0200")
        )
        claims = await session.scalar(
            select(func.count())
            .select_from(inbox)
            .where(inbox.c.subscription == SUBSCRIPTION.queue, inbox.c.event_id == envelope.id)
        )
    assert notes == 1
    assert claims == 1
    assert await direct_bus.dead_letters(SUBSCRIPTION) == []
