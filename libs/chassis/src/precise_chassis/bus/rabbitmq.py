"""The RabbitMQ adapter of the bus port (aio-pika, robust connection): the local profile's bus.

Topology (names and arguments from precise_contracts.topology.rabbitmq, so it equals the generated
definitions file): a durable topic exchange per topic, routed on the event type; per subscription a
durable quorum queue bound once per event type it wants, dead-lettering to the direct dead-letter exchange
(routed on the queue's name) into the subscription's dead-letter queue.

Messages are CloudEvents in binary content mode (precise_chassis.bus.binding): the body is `data` as the
producer serialised it and the attributes are `cloudEvents_<attribute>` headers, so neither the relay nor the
consumer re-encodes the payload. A structured-mode message (content type `application/cloudevents+json`,
the whole envelope as the body) is read too, as a tool or an older producer may send one.

Settlement is done by this adapter, not the broker: the delivery count comes from the quorum queue's
`x-delivery-count` header; a failure is nacked back after the retry back-off, and on the delivery that
reaches `max_delivery` (or at once for Unprocessable) the message is published to the dead-letter exchange
with `x-precise-dead-letter-reason`/`-description` headers and then acked. The queue's `x-delivery-limit`
is only the safety net for a process that dies between the two. Acks of messages settled together go as one
(`acknowledgements`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import aio_pika
from aio_pika.abc import (
    AbstractChannel,
    AbstractIncomingMessage,
    AbstractQueue,
    AbstractRobustConnection,
    DeliveryMode,
    ExchangeType,
)
from aio_pika.exceptions import CONNECTION_EXCEPTIONS

from precise_chassis.bus import binding
from precise_chassis.bus.acknowledgements import Acknowledgements
from precise_chassis.bus.port import (
    MAX_DELIVERY_EXCEEDED,
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
from precise_contracts.topology.rabbitmq import (
    dead_letter_exchange,
    dead_letter_queue_arguments,
    dead_letter_queue_name,
    exchange_name,
    queue_arguments,
    queue_name,
)

log = logging.getLogger(__name__)

STRUCTURED = "application/cloudevents+json"
DELIVERY_COUNT_HEADER = "x-delivery-count"  # set by quorum queues on redelivery: earlier deliveries
REASON_HEADER = "x-precise-dead-letter-reason"
DESCRIPTION_HEADER = "x-precise-dead-letter-description"
DEAD_LETTERED_AT_HEADER = "x-precise-dead-lettered-at"
DESCRIPTION_LIMIT = 4096
# What the broker itself says in x-death when it dead-letters (its delivery limit is the safety net).
_BROKER_REASONS = {"delivery_limit": MAX_DELIVERY_EXCEEDED}
_UNAVAILABLE: tuple[type[BaseException], ...] = (*CONNECTION_EXCEPTIONS, TimeoutError)


class RabbitMQBus:
    """The bus port on RabbitMQ. One robust connection, opened on first use and again after close()."""

    name = "rabbitmq"

    def __init__(
        self,
        url: str,
        *,
        prefix: str = "",
        retry: RetryPolicy | None = None,
        publish_timeout: float = 10.0,
        connect_timeout: float = 5.0,
    ) -> None:
        self._url = url
        parts = urlsplit(url)
        self._where = f"{parts.hostname}:{parts.port or 5672}"  # for messages: no credentials
        self._prefix = prefix
        self._retry = retry or RetryPolicy()
        self._publish_timeout = publish_timeout
        self._connect_timeout = connect_timeout
        self._connection: AbstractRobustConnection | None = None
        self._publisher: AbstractChannel | None = None
        self._connecting = asyncio.Lock()
        self._opening_publisher = asyncio.Lock()
        self._consumers: list[_Consumer] = []

    async def ensure_topology(self, topics: Sequence[Topic], subscriptions: Sequence[Subscription]) -> None:
        channel = await self._channel()
        try:
            dead_letters = await channel.declare_exchange(
                dead_letter_exchange(self._prefix), ExchangeType.DIRECT, durable=True
            )
            exchanges = {}
            for topic in sorted({t.name for t in topics} | {s.topic for s in subscriptions}):
                exchanges[topic] = await channel.declare_exchange(
                    exchange_name(topic, self._prefix), ExchangeType.TOPIC, durable=True
                )
            for subscription in subscriptions:
                queue = await channel.declare_queue(
                    queue_name(subscription, self._prefix),
                    durable=True,
                    arguments=queue_arguments(subscription, self._prefix),
                )
                for event_type in sorted(subscription.event_types):
                    await queue.bind(exchanges[subscription.topic], routing_key=event_type)
                dead_letter_queue = await channel.declare_queue(
                    dead_letter_queue_name(subscription, self._prefix),
                    durable=True,
                    arguments=dead_letter_queue_arguments(),
                )
                await dead_letter_queue.bind(dead_letters, routing_key=queue_name(subscription, self._prefix))
        except _UNAVAILABLE as error:
            raise BusUnavailable(f"RabbitMQ could not declare the topology: {error}") from error
        finally:
            await _close_quietly(channel)

    async def publish(self, topic: str, envelopes: Sequence[Envelope]) -> None:
        await self._publish(exchange_name(topic, self._prefix), ((e.type, _message(e)) for e in envelopes))

    async def _publish(self, exchange: str, messages: Iterable[tuple[str, aio_pika.Message]]) -> None:
        """Publish on the confirming channel, pipelined: every publish is sent, then all confirms awaited."""
        try:
            async with asyncio.timeout(self._publish_timeout):
                channel = await self._publisher_channel()
                target = await channel.get_exchange(exchange, ensure=False)
                results = await asyncio.gather(
                    *(target.publish(message, routing_key=key, mandatory=False) for key, message in messages),
                    return_exceptions=True,
                )
        except _UNAVAILABLE as error:
            raise BusUnavailable(f"RabbitMQ did not confirm the publish to {exchange}: {error!r}") from error
        failures = [r for r in results if isinstance(r, BaseException)]
        if failures:
            raise BusUnavailable(f"RabbitMQ did not confirm the publish to {exchange}: {failures[0]!r}")

    async def consume(self, subscription: Subscription, handler: MessageHandler, *, concurrency: int = 8) -> None:
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        channel = await self._channel()
        try:
            await channel.set_qos(prefetch_count=concurrency)
            queue = await channel.get_queue(queue_name(subscription, self._prefix), ensure=True)
            consumer = _Consumer(self, subscription, handler, channel, queue)
            await consumer.start()
        except _UNAVAILABLE as error:
            await _close_quietly(channel)
            raise BusUnavailable(f"RabbitMQ could not consume {subscription.queue}: {error}") from error
        self._consumers.append(consumer)

    async def send_to_dead_letters(
        self, message: AbstractIncomingMessage, subscription: Subscription, reason: str, description: str
    ) -> None:
        """Publish a copy of `message` with the reason to the subscription's dead-letter queue, confirmed."""
        headers = {
            **(message.headers or {}),
            REASON_HEADER: reason,
            DESCRIPTION_HEADER: description[:DESCRIPTION_LIMIT],
            DEAD_LETTERED_AT_HEADER: datetime.now(UTC).isoformat(),
        }
        copy = aio_pika.Message(
            message.body,
            headers=headers,
            content_type=message.content_type,
            message_id=message.message_id,
            type=message.type,
            app_id=message.app_id,
            timestamp=message.timestamp,
            delivery_mode=DeliveryMode.PERSISTENT,
        )
        routing_key = queue_name(subscription, self._prefix)
        await self._publish(dead_letter_exchange(self._prefix), [(routing_key, copy)])

    async def dead_letters(self, subscription: Subscription, *, limit: int = 100) -> list[DeadLetter]:
        """Peek: take up to `limit` messages unacked, then close the channel, which puts them all back."""
        letters: list[DeadLetter] = []
        channel = await self._channel()
        try:
            queue = await channel.get_queue(dead_letter_queue_name(subscription, self._prefix), ensure=False)
            for message in await _take(queue, limit):
                letter = _dead_letter_of(message, subscription)
                if letter is not None:
                    letters.append(letter)
        except _UNAVAILABLE as error:
            raise BusUnavailable(f"RabbitMQ could not peek at {subscription.queue}: {error}") from error
        finally:
            await _close_quietly(channel)
        return letters

    async def replay_dead_letters(self, subscription: Subscription, *, limit: int = 100) -> int:
        """Send dead letters straight to the subscription's queue (the default exchange routes on the queue
        name), so sibling subscriptions on the topic do not get a second copy; then remove them."""
        channel = await self._channel()
        moved = 0
        try:
            queue = await channel.get_queue(dead_letter_queue_name(subscription, self._prefix), ensure=False)
            for message in await _take(queue, limit):
                envelope = _envelope_of(message)
                if envelope is None:
                    continue  # left in the dead-letter queue: replaying it could only fail again
                await self._publish("", [(queue_name(subscription, self._prefix), _message(envelope))])
                await message.ack()
                moved += 1
        except _UNAVAILABLE as error:
            raise BusUnavailable(f"RabbitMQ could not replay {subscription.queue}: {error}") from error
        finally:
            await _close_quietly(channel)
        return moved

    async def ping(self) -> None:
        connection = await self._connect()
        if connection.is_closed or not connection.connected.is_set():
            raise BusUnavailable("RabbitMQ connection is down (reconnecting)")

    async def stop(self, grace_seconds: float = 10.0) -> None:
        consumers, self._consumers = self._consumers, []
        for consumer in consumers:
            await consumer.cancel()
        in_flight = {task for consumer in consumers for task in consumer.in_flight}
        if in_flight:
            _, late = await asyncio.wait(in_flight, timeout=grace_seconds)
            for task in late:
                task.cancel()  # its message stays unacked, so closing the channel gives it back
            await asyncio.gather(*late, return_exceptions=True)
        for consumer in consumers:
            await _close_quietly(consumer.channel)

    async def close(self) -> None:
        if self._consumers:
            await self.stop(0)
        connection, self._connection, self._publisher = self._connection, None, None
        if connection is not None:
            with contextlib.suppress(*_UNAVAILABLE):
                await connection.close()

    @property
    def retry(self) -> RetryPolicy:
        return self._retry

    async def _connect(self) -> AbstractRobustConnection:
        async with self._connecting:
            if self._connection is None or self._connection.is_closed:
                try:
                    self._connection = await aio_pika.connect_robust(self._url, timeout=self._connect_timeout)
                except _UNAVAILABLE as error:
                    raise BusUnavailable(f"RabbitMQ unreachable at {self._where}: {error!r}") from error
            return self._connection

    async def _channel(self) -> AbstractChannel:
        connection = await self._connect()
        try:
            return await connection.channel()
        except _UNAVAILABLE as error:
            raise BusUnavailable(f"RabbitMQ refused a channel: {error!r}") from error

    async def _publisher_channel(self) -> AbstractChannel:
        # A publish to a missing exchange closes the channel; the next publish gets a fresh one.
        async with self._opening_publisher:
            if self._publisher is None or self._publisher.is_closed:
                self._publisher = await self._channel()
            return self._publisher


class _Consumer:
    """One subscription's consumer: a channel whose prefetch is the concurrency, a task per message."""

    def __init__(
        self,
        bus: RabbitMQBus,
        subscription: Subscription,
        handler: MessageHandler,
        channel: AbstractChannel,
        queue: AbstractQueue,
    ) -> None:
        self._bus = bus
        self._subscription = subscription
        self._handler = handler
        self.channel = channel
        self._queue = queue
        self._tag: str | None = None
        self._stopping = asyncio.Event()
        self._acks = Acknowledgements()
        self.in_flight: set[asyncio.Task[Any]] = set()

    async def start(self) -> None:
        self._tag = await self._queue.consume(self._on_message)

    async def cancel(self) -> None:
        self._stopping.set()
        if self._tag is not None:
            with contextlib.suppress(*_UNAVAILABLE):
                await self._queue.cancel(self._tag)

    async def _on_message(self, message: AbstractIncomingMessage) -> None:
        # first, before any await: messages start in the order they were delivered, so by the time a later one
        # is acknowledged this one is known to be open and no acknowledgement of several covers it
        self._acks.delivered(message)
        task = asyncio.current_task()
        if task is not None:
            self.in_flight.add(task)
        try:
            await self._settle(message)
        except _UNAVAILABLE as error:
            # Unsettled: the broker gives the message back when the channel or connection goes.
            log.warning("could not settle message %s on %s: %s", message.message_id, self._queue.name, error)
        finally:
            if task is not None:
                self.in_flight.discard(task)

    async def _settle(self, message: AbstractIncomingMessage) -> None:
        envelope = _envelope_of(message)
        if envelope is None:
            await self._dead_letter(
                message,
                UNPROCESSABLE,
                "the message is not a Precise CloudEvent (its cloudEvents_* headers are missing or invalid)",
            )
            return
        count = _delivery_count(message)
        failure: Exception | None = None
        try:
            await self._handler(Delivery(envelope, self._subscription, count))
        except Exception as error:
            failure = error
            log.warning(
                "handler for %s failed on event %s (delivery %d of %d)",
                self._subscription.queue,
                envelope.id,
                count,
                self._subscription.max_delivery,
                exc_info=error,
            )
        settled = settlement(count, self._subscription.max_delivery, failure, self._bus.retry)
        if settled.action is Action.DEAD_LETTER:
            await self._dead_letter(message, settled.reason or UNPROCESSABLE, settled.description or "")
        elif settled.action is Action.ABANDON:
            await self._pause(settled.delay_seconds)
            await self._give_back(message)
        else:
            await self._acks.ack(message)

    async def _dead_letter(self, message: AbstractIncomingMessage, reason: str, description: str) -> None:
        try:
            await self._bus.send_to_dead_letters(message, self._subscription, reason, description)
        except BusUnavailable as error:
            log.warning("could not dead-letter message %s: %s; giving it back", message.message_id, error)
            await self._give_back(message)
            return
        await self._acks.ack(message)

    async def _give_back(self, message: AbstractIncomingMessage) -> None:
        await message.nack(requeue=True)
        self._acks.given_back(message)

    async def _pause(self, seconds: float) -> None:
        """Back off before giving a message back, but give it back at once when stopping."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), timeout=seconds)


def _message(envelope: Envelope) -> aio_pika.Message:
    return aio_pika.Message(
        envelope.data,
        headers=dict(binding.properties(envelope)),
        content_type=envelope.datacontenttype,
        message_id=envelope.id,
        type=envelope.type,
        app_id=envelope.service,
        timestamp=envelope.time,
        delivery_mode=DeliveryMode.PERSISTENT,
    )


def _envelope_of(message: AbstractIncomingMessage) -> Envelope | None:
    try:
        if (message.content_type or "").startswith(STRUCTURED):
            return Envelope.from_bytes(message.body)
        return binding.envelope_from(message.headers or {}, message.body)
    except ValueError:
        return None


def _delivery_count(message: AbstractIncomingMessage) -> int:
    earlier = (message.headers or {}).get(DELIVERY_COUNT_HEADER)
    return int(earlier) + 1 if isinstance(earlier, int) else 1


async def _take(queue: AbstractQueue, limit: int) -> list[AbstractIncomingMessage]:
    """Up to `limit` messages, held unacked on the queue's channel."""
    taken: list[AbstractIncomingMessage] = []
    while len(taken) < limit:
        message = await queue.get(no_ack=False, fail=False)
        if message is None:
            break
        taken.append(message)
    return taken


def _dead_letter_of(message: AbstractIncomingMessage, subscription: Subscription) -> DeadLetter | None:
    envelope = _envelope_of(message)
    if envelope is None:
        log.warning("dead letter %s on %s is no envelope; skipped", message.message_id, subscription.queue)
        return None
    headers = message.headers or {}
    reason, description = headers.get(REASON_HEADER), headers.get(DESCRIPTION_HEADER)
    at = headers.get(DEAD_LETTERED_AT_HEADER)
    if reason is None:
        reason, description, when = _broker_death(headers)
    else:
        when = datetime.fromisoformat(at) if isinstance(at, str) else None
    return DeadLetter(
        envelope=envelope,
        subscription=subscription,
        reason=str(reason),
        description=str(description or ""),
        dead_lettered_at=when,
    )


def _broker_death(headers: dict[str, Any]) -> tuple[str, str, datetime | None]:
    """Reason, description and time of a message the broker dead-lettered itself (x-death, newest first)."""
    deaths = headers.get("x-death")
    death = deaths[0] if isinstance(deaths, list) and deaths and isinstance(deaths[0], dict) else {}
    broker_reason = str(death.get("reason", "unknown"))
    at = death.get("time")
    return (
        _BROKER_REASONS.get(broker_reason, broker_reason),
        f"dead-lettered by RabbitMQ ({broker_reason}) after {death.get('count', '?')} time(s)",
        at if isinstance(at, datetime) else None,
    )


async def _close_quietly(channel: AbstractChannel) -> None:
    with contextlib.suppress(*_UNAVAILABLE):
        await channel.close()
