"""The bus port: the small interface every adapter (in-process, RabbitMQ, Azure Service Bus) implements.

Semantics every adapter proves in the conformance suite (libs/chassis/tests/bus/test_conformance.py):
- publish is confirmed by the broker before it returns; it raises BusUnavailable when it cannot be;
- delivery is at-least-once with peek-lock: a handler that returns completes the message, one that raises
  abandons it for redelivery after a back-off; on the delivery that reaches `max_delivery` the message is
  dead-lettered with reason `MaxDeliveryCountExceeded` and the error as its description;
- a handler that raises Unprocessable dead-letters the message at once (a poison message never blocks);
- only the event types a subscription names are delivered to it;
- stop() stops taking work and lets in-flight handlers finish within the grace period; close() closes.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from precise_contracts.envelope import Envelope
from precise_contracts.registry import Subscription, Topic

MAX_DELIVERY_EXCEEDED = "MaxDeliveryCountExceeded"
UNPROCESSABLE = "Unprocessable"
DESCRIPTION_LIMIT = 4096  # Service Bus's limit on a dead-letter description; the others keep the same


class BusUnavailable(Exception):
    """The broker could not take or confirm a message; the outbox keeps it and retries."""


class Unprocessable(Exception):
    """A message that can never be handled (bad schema, unknown type): dead-letter it now, do not retry."""


@dataclass(frozen=True)
class Delivery:
    """One delivery of a message to a subscription's handler."""

    envelope: Envelope
    subscription: Subscription
    delivery_count: int  # 1 on first delivery


@dataclass(frozen=True)
class DeadLetter:
    """A message a subscription gave up on, with the reason and the last error."""

    envelope: Envelope
    subscription: Subscription
    reason: str
    description: str
    dead_lettered_at: datetime | None


MessageHandler = Callable[[Delivery], Awaitable[None]]


@dataclass(frozen=True)
class RetryPolicy:
    """Back-off before an abandoned message is offered again: base * 2^(n-1), capped."""

    base_seconds: float = 0.05
    cap_seconds: float = 5.0

    def delay(self, delivery_count: int) -> float:
        return float(min(self.cap_seconds, self.base_seconds * 2 ** max(0, delivery_count - 1)))


class Action(StrEnum):
    COMPLETE = "complete"
    ABANDON = "abandon"
    DEAD_LETTER = "dead-letter"


@dataclass(frozen=True)
class Settlement:
    """What to do with a message once its handler has run; every adapter settles by this one rule."""

    action: Action
    reason: str | None = None
    description: str | None = None
    delay_seconds: float = 0.0  # wait this long (holding the message) before abandoning


def settlement(
    delivery_count: int, max_delivery: int, error: BaseException | None, retry: RetryPolicy | None = None
) -> Settlement:
    """Settle a delivery: `delivery_count` is 1 on the first delivery."""
    if error is None:
        return Settlement(Action.COMPLETE)
    if isinstance(error, Unprocessable):
        return Settlement(Action.DEAD_LETTER, UNPROCESSABLE, str(error)[:DESCRIPTION_LIMIT])
    if delivery_count >= max_delivery:
        described = f"{type(error).__name__}: {error}"[:DESCRIPTION_LIMIT]
        return Settlement(Action.DEAD_LETTER, MAX_DELIVERY_EXCEEDED, described)
    return Settlement(Action.ABANDON, delay_seconds=(retry or RetryPolicy()).delay(delivery_count))


class Bus(Protocol):
    name: str

    async def ensure_topology(self, topics: Sequence[Topic], subscriptions: Sequence[Subscription]) -> None:
        """Create (idempotently) the topics and filtered subscriptions this process uses."""

    async def publish(self, topic: str, envelopes: Sequence[Envelope]) -> None:
        """Publish and wait for the broker's confirmation of every envelope."""

    async def consume(self, subscription: Subscription, handler: MessageHandler, *, concurrency: int = 8) -> None:
        """Start delivering the subscription's messages to `handler`, up to `concurrency` at once."""

    async def dead_letters(self, subscription: Subscription, *, limit: int = 100) -> list[DeadLetter]:
        """Peek at the subscription's dead letters without removing them."""

    async def replay_dead_letters(self, subscription: Subscription, *, limit: int = 100) -> int:
        """Move up to `limit` dead letters back onto the subscription; returns how many moved."""

    async def ping(self) -> None:
        """Raise BusUnavailable if the broker cannot be reached (readiness)."""

    async def stop(self, grace_seconds: float = 10.0) -> None:
        """Stop taking work and let in-flight handlers finish within the grace period; publishing still works
        (the outbox relay flushes after this)."""

    async def close(self) -> None:
        """Close every connection; calls stop(0) first if consumers still run."""
