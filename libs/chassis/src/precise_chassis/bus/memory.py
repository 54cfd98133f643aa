"""The in-process bus: the embedded profile's bus and the fake that unit tests run against.

It honours the same semantics as the broker adapters (see port.py): per subscription a queue filtered on
event type, delivery counting, back-off before redelivery, dead letters with reason and description,
a concurrency limit per consumer, graceful stop and replay. Envelopes go through the brokers' binding on
publish (attributes to properties and back), so an envelope that would not survive a real broker fails here too.

It keeps nothing across process restarts: undelivered messages and dead letters live only in memory.
The outbox is what makes publishing durable; after a restart its relay publishes what was not yet sent.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from precise_chassis.bus import binding
from precise_chassis.bus.port import (
    UNPROCESSABLE,
    Action,
    BusUnavailable,
    DeadLetter,
    Delivery,
    MessageHandler,
    RetryPolicy,
    settlement,
)
from precise_contracts.envelope import Envelope
from precise_contracts.registry import Subscription, Topic


@dataclass(eq=False)
class _Message:
    envelope: Envelope
    deliveries: int = 0


@dataclass(eq=False)
class _SubscriptionQueue:
    subscription: Subscription
    ready: asyncio.Queue[_Message] = field(default_factory=asyncio.Queue)
    dead: list[DeadLetter] = field(default_factory=list)

    def wants(self, envelope: Envelope) -> bool:
        return envelope.type in self.subscription.event_types

    def dead_letter(self, message: _Message, reason: str, description: str) -> None:
        self.dead.append(
            DeadLetter(
                envelope=message.envelope,
                subscription=self.subscription,
                reason=reason,
                description=description,
                dead_lettered_at=datetime.now(UTC),
            )
        )


class _Consumer:
    """Takes messages off one subscription queue and runs the handler, at most `concurrency` at once."""

    def __init__(
        self, queue: _SubscriptionQueue, handler: MessageHandler, concurrency: int, retry: RetryPolicy
    ) -> None:
        self._queue = queue
        self._handler = handler
        self._retry = retry
        self._slots = asyncio.Semaphore(concurrency)
        self._in_flight: set[asyncio.Task[None]] = set()
        self._pump = asyncio.create_task(self._take_work(), name=f"bus-memory-{queue.subscription.queue}")

    async def _take_work(self) -> None:
        while True:
            await self._slots.acquire()
            try:
                message = await self._queue.ready.get()
            except asyncio.CancelledError:
                self._slots.release()
                raise
            task = asyncio.create_task(self._deliver(message))
            self._in_flight.add(task)
            task.add_done_callback(self._in_flight.discard)

    async def _deliver(self, message: _Message) -> None:
        message.deliveries += 1
        subscription = self._queue.subscription
        failure: Exception | None = None
        try:
            await self._handler(Delivery(message.envelope, subscription, message.deliveries))
        except asyncio.CancelledError:
            # Cancelled after the stop grace period: the lock is lost, so the message is offered again.
            self._queue.ready.put_nowait(message)
            raise
        except Exception as error:
            failure = error
        finally:
            self._slots.release()
        settled = settlement(message.deliveries, subscription.max_delivery, failure, self._retry)
        if settled.action is Action.DEAD_LETTER:
            self._queue.dead_letter(message, settled.reason or UNPROCESSABLE, settled.description or "")
        elif settled.action is Action.ABANDON:
            loop = asyncio.get_running_loop()
            loop.call_later(settled.delay_seconds, self._queue.ready.put_nowait, message)

    async def stop(self, grace_seconds: float) -> None:
        self._pump.cancel()
        await asyncio.gather(self._pump, return_exceptions=True)
        if not self._in_flight:
            return
        _, late = await asyncio.wait(set(self._in_flight), timeout=grace_seconds)
        for task in late:
            task.cancel()
        await asyncio.gather(*late, return_exceptions=True)


class InMemoryBus:
    """An asyncio bus inside one process; see the module docstring for what it keeps and what it does not."""

    name = "memory"

    def __init__(self, *, retry: RetryPolicy | None = None) -> None:
        self._retry = retry or RetryPolicy()
        self._topics: set[str] = set()
        self._queues: dict[str, _SubscriptionQueue] = {}
        self._consumers: list[_Consumer] = []

    async def ensure_topology(self, topics: Sequence[Topic], subscriptions: Sequence[Subscription]) -> None:
        self._topics.update(topic.name for topic in topics)
        for subscription in subscriptions:
            self._topics.add(subscription.topic)
            existing = self._queues.get(subscription.queue)
            if existing is None:
                self._queues[subscription.queue] = _SubscriptionQueue(subscription)
            else:
                existing.subscription = subscription

    async def publish(self, topic: str, envelopes: Sequence[Envelope]) -> None:
        if topic not in self._topics:
            raise BusUnavailable(f"topic {topic!r} does not exist; ensure_topology declares it")
        carried = [binding.envelope_from(binding.properties(envelope), envelope.data) for envelope in envelopes]
        for queue in self._queues.values():
            if queue.subscription.topic != topic:
                continue
            for envelope in carried:
                if queue.wants(envelope):
                    queue.ready.put_nowait(_Message(envelope))

    async def consume(self, subscription: Subscription, handler: MessageHandler, *, concurrency: int = 8) -> None:
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self._consumers.append(_Consumer(self._queue(subscription), handler, concurrency, self._retry))

    async def dead_letters(self, subscription: Subscription, *, limit: int = 100) -> list[DeadLetter]:
        return list(self._queue(subscription).dead[:limit])

    async def replay_dead_letters(self, subscription: Subscription, *, limit: int = 100) -> int:
        queue = self._queue(subscription)
        replayed, queue.dead = queue.dead[:limit], queue.dead[limit:]
        for dead in replayed:
            queue.ready.put_nowait(_Message(dead.envelope))
        return len(replayed)

    async def ping(self) -> None:
        """Always reachable: the bus is this process."""

    async def stop(self, grace_seconds: float = 10.0) -> None:
        consumers, self._consumers = self._consumers, []
        await asyncio.gather(*(consumer.stop(grace_seconds) for consumer in consumers))

    async def close(self) -> None:
        """Nothing to close but the consumers; the queues stay, for this process may consume again."""
        await self.stop(0)

    def _queue(self, subscription: Subscription) -> _SubscriptionQueue:
        try:
            return self._queues[subscription.queue]
        except KeyError:
            raise LookupError(
                f"subscription {subscription.queue!r} does not exist; ensure_topology declares it"
            ) from None
