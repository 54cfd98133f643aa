"""The Azure Service Bus adapter of the bus port (azure-servicebus, asyncio).

One topic per producing domain; one subscription per consuming service with a correlation rule per event
type (`label` = the event type) plus a `precise-replay` rule (`to` = the subscription) through which
replayed dead letters reach that subscription alone. Peek-lock delivery with an AutoLockRenewer; the
settlement rules are the pure `settlement()` in servicebus_mapping.

Delivery counts: the Python SDK reports the AMQP delivery-count, 0 on the first delivery, so the handler's
`Delivery.delivery_count` is that plus one. The subscription's MaxDeliveryCount is set to `max_delivery` as
a backstop (a crashed consumer's lock expiries still end in the dead-letter queue, with the same reason).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta
from functools import partial
from typing import Protocol

from azure.core.credentials_async import AsyncTokenCredential
from azure.core.exceptions import AzureError, HttpResponseError, ResourceExistsError
from azure.identity.aio import DefaultAzureCredential
from azure.servicebus import (
    ServiceBusMessage,
    ServiceBusMessageBatch,
    ServiceBusReceivedMessage,
    ServiceBusReceiveMode,
    ServiceBusSubQueue,
)
from azure.servicebus.aio import AutoLockRenewer, ServiceBusClient, ServiceBusReceiver, ServiceBusSender
from azure.servicebus.aio.management import ServiceBusAdministrationClient
from azure.servicebus.exceptions import (
    MessageAlreadySettled,
    MessageSizeExceededError,
    MessagingEntityNotFoundError,
)
from azure.servicebus.management import CorrelationRuleFilter

from precise_chassis.bus.port import (
    Action,
    BusUnavailable,
    DeadLetter,
    Delivery,
    MessageHandler,
    RetryPolicy,
    Settlement,
    settlement,
)
from precise_chassis.bus.servicebus_mapping import (
    UnmappableMessage,
    delivery_attempt,
    original_message_id,
    replay_message,
    subscription_rules,
    to_envelope,
    to_message,
    unmappable_settlement,
)
from precise_contracts.envelope import Envelope
from precise_contracts.registry import Subscription, Topic

log = logging.getLogger(__name__)

CONNECTION_ENV = "PRECISE_SERVICEBUS_CONNECTION"
PREFIX_ENV = "PRECISE_SERVICEBUS_TOPOLOGY_PREFIX"
# ServiceBusError is an AzureError; socket failures can surface raw from the AMQP transport.
UNAVAILABLE: tuple[type[Exception], ...] = (AzureError, OSError, TimeoutError)
SETTLE_FAILURES: tuple[type[Exception], ...] = (*UNAVAILABLE, MessageAlreadySettled)
RECEIVE_WAIT_SECONDS = 1.0  # how long a receive waits for a first message; bounds how fast stop() is noticed


class SettlingReceiver(Protocol):
    """What the pump needs of a peek-lock receiver (ServiceBusReceiver has it all)."""

    async def receive_messages(
        self, max_message_count: int | None = 1, max_wait_time: float | None = None
    ) -> list[ServiceBusReceivedMessage]: ...

    async def complete_message(self, message: ServiceBusReceivedMessage) -> None: ...

    async def abandon_message(self, message: ServiceBusReceivedMessage) -> None: ...

    async def dead_letter_message(
        self,
        message: ServiceBusReceivedMessage,
        reason: str | None = None,
        error_description: str | None = None,
    ) -> None: ...

    async def close(self) -> None: ...


async def fill_batches(
    messages: Sequence[ServiceBusMessage], new_batch: Callable[[], Awaitable[ServiceBusMessageBatch]]
) -> list[ServiceBusMessageBatch]:
    """Pack messages in order into as few batches as the link's size limit allows.

    A message too large even for an empty batch raises MessageSizeExceededError: no retry can send it.
    """
    batches = [await new_batch()]
    for message in messages:
        try:
            batches[-1].add_message(message)
        except MessageSizeExceededError:
            if len(batches[-1]) == 0:
                raise
            batches.append(await new_batch())
            batches[-1].add_message(message)
    return [batch for batch in batches if len(batch)]


class SubscriptionPump:
    """Pulls one subscription's messages and runs up to `concurrency` handlers at once."""

    def __init__(
        self,
        receiver: SettlingReceiver,
        subscription: Subscription,
        handler: MessageHandler,
        *,
        concurrency: int,
        retry: RetryPolicy,
    ) -> None:
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self._receiver = receiver
        self._subscription = subscription
        self._handler = handler
        self._concurrency = concurrency
        self._retry = retry
        self._stopping = asyncio.Event()
        self._in_flight: set[asyncio.Task[None]] = set()
        self._task = asyncio.create_task(self._pull(), name=f"servicebus:{subscription.queue}")

    async def _pull(self) -> None:
        stop = asyncio.ensure_future(self._stopping.wait())
        try:
            while not self._stopping.is_set():
                free = self._concurrency - len(self._in_flight)
                if free == 0:
                    await asyncio.wait({*self._in_flight, stop}, return_when=asyncio.FIRST_COMPLETED)
                    continue
                try:
                    messages = await self._receiver.receive_messages(
                        max_message_count=free, max_wait_time=RECEIVE_WAIT_SECONDS
                    )
                except Exception as exc:  # an outage or a broken link: never let the pump die quietly
                    log.warning("receiving from %s failed, retrying: %s", self._subscription.queue, exc)
                    await self._pause(self._retry.cap_seconds)
                    continue
                for message in messages:
                    task = asyncio.create_task(self._deliver(message))
                    self._in_flight.add(task)
                    task.add_done_callback(self._in_flight.discard)
        finally:
            stop.cancel()

    async def _deliver(self, message: ServiceBusReceivedMessage) -> None:
        try:
            envelope = to_envelope(message)
        except UnmappableMessage as exc:
            log.warning("dead-lettering message %s on %s: %s", message.message_id, self._subscription.queue, exc)
            await self._settle(message, unmappable_settlement(exc))
            return
        attempt = delivery_attempt(message)
        error: Exception | None = None
        try:
            await self._handler(Delivery(envelope=envelope, subscription=self._subscription, delivery_count=attempt))
        except Exception as exc:
            error = exc
            log.warning(
                "handler for %s failed on event %s (delivery %d of %d)",
                self._subscription.queue,
                envelope.id,
                attempt,
                self._subscription.max_delivery,
                exc_info=exc,
            )
        await self._settle(message, settlement(attempt, self._subscription.max_delivery, error, self._retry))

    async def _settle(self, message: ServiceBusReceivedMessage, decision: Settlement) -> None:
        try:
            match decision.action:
                case Action.COMPLETE:
                    await self._receiver.complete_message(message)
                case Action.DEAD_LETTER:
                    await self._receiver.dead_letter_message(
                        message, reason=decision.reason, error_description=decision.description
                    )
                case Action.ABANDON:
                    await self._pause(decision.delay_seconds)  # the renewer keeps the lock meanwhile
                    await self._receiver.abandon_message(message)
        except SETTLE_FAILURES as exc:
            # The lock will lapse and the broker redeliver: at-least-once still holds.
            log.warning("could not %s message %s: %s", decision.action, message.message_id, exc)

    async def _pause(self, seconds: float) -> None:
        """Sleep, but wake at once when stopping so nothing holds up shutdown."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), timeout=seconds)

    async def stop(self, grace_seconds: float) -> None:
        """Stop pulling, give in-flight handlers the grace period, then cancel them (their locks lapse)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + grace_seconds
        self._stopping.set()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(self._task), timeout=max(0.0, deadline - loop.time()))
        self._task.cancel()
        if self._in_flight:
            _, late = await asyncio.wait(set(self._in_flight), timeout=max(0.0, deadline - loop.time()))
            for task in late:
                task.cancel()
            if late:
                await asyncio.wait(late)
        with contextlib.suppress(*UNAVAILABLE):
            await self._receiver.close()


class ServiceBusBus:
    """The bus port on Azure Service Bus (or its emulator)."""

    name = "servicebus"

    def __init__(
        self,
        *,
        connection_string: str | None = None,
        fully_qualified_namespace: str | None = None,
        credential: AsyncTokenCredential | None = None,
        topology_prefix: str = "",
        retry: RetryPolicy | None = None,
        lock_duration: timedelta = timedelta(seconds=60),
        max_handler_seconds: float = 300.0,
        duplicate_detection_window: timedelta = timedelta(minutes=5),
        retry_total: int = 3,
    ) -> None:
        """Give a connection string, or a namespace (`<name>.servicebus.windows.net`) to reach with Entra ID
        (DefaultAzureCredential unless a credential is given). `topology_prefix` is put before every topic
        name, so tests can have their own topics; `retry_total` is the SDK's own retries per operation."""
        if (connection_string is None) == (fully_qualified_namespace is None):
            raise ValueError("give exactly one of connection_string or fully_qualified_namespace")
        self._owned_credential: DefaultAzureCredential | None = None
        self._admin_factory: Callable[[], ServiceBusAdministrationClient]
        if connection_string is not None:
            self._client = ServiceBusClient.from_connection_string(connection_string, retry_total=retry_total)
            self._admin_factory = partial(ServiceBusAdministrationClient.from_connection_string, connection_string)
        elif fully_qualified_namespace is not None:
            if credential is None:
                credential = self._owned_credential = DefaultAzureCredential()
            self._client = ServiceBusClient(fully_qualified_namespace, credential, retry_total=retry_total)
            self._admin_factory = partial(ServiceBusAdministrationClient, fully_qualified_namespace, credential)
        self.emulator = connection_string is not None and _is_emulator(connection_string)
        self.topology_prefix = topology_prefix
        self._retry = retry or RetryPolicy()
        self._lock_duration = lock_duration
        self._max_handler_seconds = max_handler_seconds
        self._duplicate_detection_window = duplicate_detection_window
        self._senders: dict[str, ServiceBusSender] = {}
        self._send_locks: dict[str, asyncio.Lock] = {}
        self._pumps: list[SubscriptionPump] = []
        self._renewers: list[AutoLockRenewer] = []
        self._known_topics: set[str] = set()
        self._known_subscriptions: set[Subscription] = set()

    def administration(self) -> ServiceBusAdministrationClient:
        """A client of the namespace's administration API (not served by the emulator)."""
        return self._admin_factory()

    def entity(self, topic: str) -> str:
        """The Service Bus topic name for a registry topic."""
        return self.topology_prefix + topic

    async def ensure_topology(self, topics: Sequence[Topic], subscriptions: Sequence[Subscription]) -> None:
        names = {t.name for t in topics} | {s.topic for s in subscriptions}
        self._known_topics |= names
        self._known_subscriptions |= set(subscriptions)
        if self.emulator:
            log.info("Service Bus emulator: its Config.json declares the topology (see emulator_config)")
        else:
            await self._administer(sorted(names), subscriptions)
        await self._check_subscriptions_exist(subscriptions)

    async def _administer(self, topics: Sequence[str], subscriptions: Sequence[Subscription]) -> None:
        try:
            async with self.administration() as admin:
                for topic in topics:
                    await self._ensure_topic(admin, self.entity(topic))
                for subscription in subscriptions:
                    await self._ensure_subscription(admin, subscription)
        except HttpResponseError as exc:
            if exc.status_code not in (401, 403):
                raise BusUnavailable(f"Service Bus administration failed: {exc}") from exc
            # Least privilege: services hold Send/Listen only and Terraform owns the topology.
            log.info("no Manage right on the namespace; assuming the topology exists (%s)", exc.status_code)
        except UNAVAILABLE as exc:
            raise BusUnavailable(f"Service Bus administration failed: {exc}") from exc

    async def _ensure_topic(self, admin: ServiceBusAdministrationClient, name: str) -> None:
        with contextlib.suppress(ResourceExistsError):
            await admin.create_topic(
                name,
                requires_duplicate_detection=True,
                duplicate_detection_history_time_window=self._duplicate_detection_window,
            )

    async def _ensure_subscription(self, admin: ServiceBusAdministrationClient, subscription: Subscription) -> None:
        topic = self.entity(subscription.topic)
        try:
            await admin.create_subscription(
                topic,
                subscription.name,
                max_delivery_count=subscription.max_delivery,
                lock_duration=self._lock_duration,
                dead_lettering_on_message_expiration=True,
            )
        except ResourceExistsError:
            existing = await admin.get_subscription(topic, subscription.name)
            if (existing.max_delivery_count, existing.lock_duration) != (
                subscription.max_delivery,
                self._lock_duration,
            ):
                existing.max_delivery_count = subscription.max_delivery
                existing.lock_duration = self._lock_duration
                await admin.update_subscription(topic, existing)
        wanted = subscription_rules(subscription)
        present = {rule.name async for rule in admin.list_rules(topic, subscription.name)}
        # Remove first ($Default matches everything), so no unwanted type is ever delivered.
        for name in sorted(present - wanted.keys()):
            if name is not None:
                await admin.delete_rule(topic, subscription.name, name)
        for name in sorted(wanted.keys() - present):
            spec = wanted[name]
            rule_filter = CorrelationRuleFilter(label=spec.get("Label"), to=spec.get("To"))
            await admin.create_rule(topic, subscription.name, name, filter=rule_filter)

    async def _check_subscriptions_exist(self, subscriptions: Sequence[Subscription]) -> None:
        for subscription in subscriptions:
            try:
                await self._peek(subscription)
            except MessagingEntityNotFoundError as exc:
                raise LookupError(
                    f"Service Bus has no subscription {subscription.name} on topic "
                    f"{self.entity(subscription.topic)}: create it (Terraform, or the emulator's Config.json)"
                ) from exc
            except UNAVAILABLE as exc:
                raise BusUnavailable(f"Service Bus unreachable: {exc}") from exc

    async def _peek(self, subscription: Subscription) -> None:
        receiver = self._client.get_subscription_receiver(self.entity(subscription.topic), subscription.name)
        async with receiver:
            await receiver.peek_messages(max_message_count=1)

    async def publish(self, topic: str, envelopes: Sequence[Envelope]) -> None:
        if not envelopes:
            return
        messages = [to_message(envelope) for envelope in envelopes]
        entity = self.entity(topic)
        self._known_topics.add(topic)
        async with self._send_locks.setdefault(entity, asyncio.Lock()):
            sender = self._senders.get(entity)
            if sender is None:
                sender = self._senders[entity] = self._client.get_topic_sender(entity)
            try:
                for batch in await fill_batches(messages, sender.create_message_batch):
                    await sender.send_messages(batch)
            except MessageSizeExceededError:
                raise  # permanent: retrying cannot make the event smaller
            except UNAVAILABLE as exc:
                # A fresh link next time, rather than one the SDK may have left broken.
                del self._senders[entity]
                with contextlib.suppress(*UNAVAILABLE):
                    await sender.close()
                raise BusUnavailable(
                    f"Service Bus did not confirm {len(messages)} event(s) on {entity}: {exc}"
                ) from exc
        self._known_topics.add(topic)

    async def consume(self, subscription: Subscription, handler: MessageHandler, *, concurrency: int = 8) -> None:
        renewer = AutoLockRenewer(max_lock_renewal_duration=self._max_handler_seconds)
        receiver: ServiceBusReceiver = self._client.get_subscription_receiver(
            self.entity(subscription.topic),
            subscription.name,
            receive_mode=ServiceBusReceiveMode.PEEK_LOCK,
            auto_lock_renewer=renewer,
        )
        self._renewers.append(renewer)
        self._pumps.append(
            SubscriptionPump(receiver, subscription, handler, concurrency=concurrency, retry=self._retry)
        )
        self._known_subscriptions.add(subscription)

    async def dead_letters(self, subscription: Subscription, *, limit: int = 100) -> list[DeadLetter]:
        found: list[DeadLetter] = []
        receiver = self._dead_letter_receiver(subscription)
        try:
            async with receiver:
                next_sequence = 0
                while len(found) < limit:
                    page = await receiver.peek_messages(
                        max_message_count=limit - len(found), sequence_number=next_sequence
                    )
                    if not page:
                        break
                    found.extend(d for d in (self._dead_letter(subscription, m) for m in page) if d is not None)
                    next_sequence = (page[-1].sequence_number or 0) + 1
        except UNAVAILABLE as exc:
            raise BusUnavailable(f"could not read the dead letters of {subscription.queue}: {exc}") from exc
        return found

    def _dead_letter(self, subscription: Subscription, message: ServiceBusReceivedMessage) -> DeadLetter | None:
        try:
            envelope = to_envelope(message)
        except UnmappableMessage as exc:
            log.warning("dead letter %s on %s is not a Precise event: %s", message.message_id, subscription.queue, exc)
            return None
        return DeadLetter(
            envelope=envelope,
            subscription=subscription,
            reason=message.dead_letter_reason or "",
            description=message.dead_letter_error_description or "",
            # The broker's enqueued time for the copy in the dead-letter sub-queue.
            dead_lettered_at=message.enqueued_time_utc,
        )

    async def replay_dead_letters(self, subscription: Subscription, *, limit: int = 100) -> int:
        """Send dead letters back to this subscription alone, then remove them from the dead-letter queue.

        A replay keeps the envelope, so its id (the inbox's key) is unchanged, but gets a new broker message
        id: duplicate detection would silently drop a re-send of the original id inside its window. The
        original message id travels in the `precise_original_id` property. Dead letters that are not Precise
        events stay where they are.
        """
        receiver = self._dead_letter_receiver(subscription)
        entity = self.entity(subscription.topic)
        try:
            async with receiver, self._client.get_topic_sender(entity) as sender:
                held: list[ServiceBusReceivedMessage] = []
                kept: list[ServiceBusReceivedMessage] = []
                replays: list[ServiceBusMessage] = []
                while len(replays) < limit:
                    page = await receiver.receive_messages(
                        max_message_count=limit - len(replays), max_wait_time=RECEIVE_WAIT_SECONDS
                    )
                    if not page:
                        break
                    for message in page:
                        try:
                            envelope = to_envelope(message)
                        except UnmappableMessage:
                            kept.append(message)
                            continue
                        held.append(message)
                        replays.append(
                            replay_message(
                                envelope,
                                original_message_id=original_message_id(message),
                                subscription=subscription.name,
                            )
                        )
                for batch in await fill_batches(replays, sender.create_message_batch):
                    await sender.send_messages(batch)
                for message in held:
                    await receiver.complete_message(message)
                for message in kept:
                    await receiver.abandon_message(message)
        except UNAVAILABLE as exc:
            raise BusUnavailable(f"could not replay the dead letters of {subscription.queue}: {exc}") from exc
        return len(replays)

    def _dead_letter_receiver(self, subscription: Subscription) -> ServiceBusReceiver:
        return self._client.get_subscription_receiver(
            self.entity(subscription.topic),
            subscription.name,
            sub_queue=ServiceBusSubQueue.DEAD_LETTER,
            receive_mode=ServiceBusReceiveMode.PEEK_LOCK,
        )

    async def purge(self, subscription: Subscription) -> int:
        """Delete everything waiting on a subscription and in its dead-letter queue; returns how many.

        For tests that share fixed entities (the emulator's Config.json): not part of the bus port.
        """
        purged = 0
        for sub_queue in (None, ServiceBusSubQueue.DEAD_LETTER):
            receiver = self._client.get_subscription_receiver(
                self.entity(subscription.topic),
                subscription.name,
                sub_queue=sub_queue,
                receive_mode=ServiceBusReceiveMode.RECEIVE_AND_DELETE,
            )
            async with receiver:
                while page := await receiver.receive_messages(max_message_count=100, max_wait_time=0.5):
                    purged += len(page)
        return purged

    async def ping(self) -> None:
        """Peek a subscription this bus knows, else open a sender on a known topic, else ask the namespace."""
        try:
            if self._known_subscriptions:
                await self._peek(next(iter(self._known_subscriptions)))
            elif self._known_topics:
                async with self._client.get_topic_sender(self.entity(next(iter(self._known_topics)))):
                    pass
            else:
                async with self.administration() as admin:
                    await admin.get_namespace_properties()
        except UNAVAILABLE as exc:
            raise BusUnavailable(f"Service Bus unreachable: {exc}") from exc

    async def stop(self, grace_seconds: float = 10.0) -> None:
        """Stop consuming; senders stay open, because the outbox relay flushes after this."""
        pumps, self._pumps = self._pumps, []
        renewers, self._renewers = self._renewers, []
        await asyncio.gather(*(pump.stop(grace_seconds) for pump in pumps))
        for renewer in renewers:
            await renewer.close()

    async def close(self) -> None:
        if self._pumps:
            await self.stop(0)
        senders, self._senders = self._senders, {}
        for sender in senders.values():
            with contextlib.suppress(*UNAVAILABLE):
                await sender.close()
        with contextlib.suppress(*UNAVAILABLE):
            await self._client.close()
        credential, self._owned_credential = self._owned_credential, None
        if credential is not None:
            await credential.close()


def _is_emulator(connection_string: str) -> bool:
    settings = dict(part.split("=", 1) for part in connection_string.split(";") if "=" in part)
    return {k.lower(): v for k, v in settings.items()}.get("usedevelopmentemulator", "").lower() == "true"


def servicebus_bus_from_env(prefix: str) -> ServiceBusBus | None:
    """The bus the conformance and integration tests use, or None when PRECISE_SERVICEBUS_CONNECTION is unset.

    The emulator's entities are fixed by its Config.json, so PRECISE_SERVICEBUS_TOPOLOGY_PREFIX, when set,
    replaces `prefix` with the one Config.json was rendered with.
    """
    connection = os.environ.get(CONNECTION_ENV)
    if not connection:
        return None
    return ServiceBusBus(connection_string=connection, topology_prefix=os.environ.get(PREFIX_ENV, prefix))
