"""The RabbitMQ topology: naming rules and queue arguments, and the definitions file built from them.

The RabbitMQ bus adapter declares the same entities at runtime with these functions, so what it declares
always equals `deploy/rabbitmq/definitions.json` (`rabbitmqctl import_definitions` takes that file).
`prefix` isolates tests that share a broker; the generated file has none.
"""

from __future__ import annotations

from typing import Any

from precise_contracts.registry import Subscription, TopicRegistry

EXCHANGE_PREFIX = "precise."
DEAD_LETTER_EXCHANGE = "precise.dead-letter"
DEAD_LETTER_SUFFIX = ".dead-letter"
VHOST = "/"


def exchange_name(topic: str, prefix: str = "") -> str:
    """The topic exchange of a registry topic; messages are routed on their event type."""
    return f"{prefix}{EXCHANGE_PREFIX}{topic}"


def dead_letter_exchange(prefix: str = "") -> str:
    """The direct exchange every subscription queue dead-letters to, routed on the queue's name."""
    return prefix + DEAD_LETTER_EXCHANGE


def queue_name(subscription: Subscription, prefix: str = "") -> str:
    return prefix + subscription.queue


def dead_letter_queue_name(subscription: Subscription, prefix: str = "") -> str:
    return queue_name(subscription, prefix) + DEAD_LETTER_SUFFIX


def queue_arguments(subscription: Subscription, prefix: str = "") -> dict[str, Any]:
    """Arguments of a subscription's queue. The broker's delivery limit is a safety net only: the adapter
    itself dead-letters on the delivery that reaches `max_delivery`, with the reason and the error."""
    return {
        "x-queue-type": "quorum",
        "x-delivery-limit": subscription.max_delivery,
        "x-dead-letter-exchange": dead_letter_exchange(prefix),
        "x-dead-letter-routing-key": queue_name(subscription, prefix),
    }


def dead_letter_queue_arguments() -> dict[str, Any]:
    return {"x-queue-type": "quorum"}


def definitions(registry: TopicRegistry, prefix: str = "") -> dict[str, Any]:
    """RabbitMQ definitions (the management plugin's export format) for the registry's topology."""
    subscriptions = registry.subscriptions()
    exchanges = [_exchange(exchange_name(t.name, prefix), "topic") for t in registry.topics]
    exchanges.append(_exchange(dead_letter_exchange(prefix), "direct"))
    queues: list[dict[str, Any]] = []
    bindings: list[dict[str, Any]] = []
    for subscription in subscriptions:
        queue = queue_name(subscription, prefix)
        dead_letters = dead_letter_queue_name(subscription, prefix)
        queues.append(_queue(queue, queue_arguments(subscription, prefix)))
        queues.append(_queue(dead_letters, dead_letter_queue_arguments()))
        source = exchange_name(subscription.topic, prefix)
        bindings.extend(_binding(source, queue, event_type) for event_type in sorted(subscription.event_types))
        bindings.append(_binding(dead_letter_exchange(prefix), dead_letters, queue))
    return {
        "exchanges": sorted(exchanges, key=lambda e: str(e["name"])),
        "queues": sorted(queues, key=lambda q: str(q["name"])),
        "bindings": sorted(bindings, key=lambda b: (str(b["source"]), str(b["destination"]), str(b["routing_key"]))),
    }


def _exchange(name: str, kind: str) -> dict[str, Any]:
    return {
        "name": name,
        "vhost": VHOST,
        "type": kind,
        "durable": True,
        "auto_delete": False,
        "internal": False,
        "arguments": {},
    }


def _queue(name: str, arguments: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "vhost": VHOST, "durable": True, "auto_delete": False, "arguments": arguments}


def _binding(source: str, queue: str, routing_key: str) -> dict[str, Any]:
    return {
        "source": source,
        "vhost": VHOST,
        "destination": queue,
        "destination_type": "queue",
        "routing_key": routing_key,
        "arguments": {},
    }
