"""Pure mappings between Precise and Azure Service Bus: envelope <-> message, handler outcome -> settlement,
subscription -> rules, topology -> the emulator's Config.json. No I/O, so unit tests need no namespace.

Messages use the CloudEvents AMQP binding in binary content mode (precise_chassis.bus.binding); the Service
Bus `subject` is the event type, which the subscriptions' correlation filters match.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from azure.servicebus import ServiceBusMessage, ServiceBusReceivedMessage
from azure.servicebus.amqp import AmqpMessageBodyType

from precise_chassis.bus import binding
from precise_chassis.bus.port import (
    DESCRIPTION_LIMIT,
    UNPROCESSABLE,
    Action,
    Settlement,
)
from precise_contracts.envelope import Envelope
from precise_contracts.registry import Subscription, Topic
from precise_contracts.topology.servicebus import correlation_rules

# A replay is a new broker message (new message id, so duplicate detection keeps it) of the same envelope.
ORIGINAL_MESSAGE_ID = "precise_original_id"


class UnmappableMessage(ValueError):
    """A Service Bus message that is not a Precise CloudEvent (wrong body, missing or invalid attributes)."""


def to_message(envelope: Envelope) -> ServiceBusMessage:
    """The Service Bus message for an envelope; its message id is the event id, for duplicate detection."""
    properties: dict[str | bytes, Any] = {}
    properties.update(binding.properties(envelope))
    return ServiceBusMessage(
        envelope.data,
        content_type=envelope.datacontenttype,
        message_id=envelope.id,
        subject=envelope.type,
        application_properties=properties,
    )


def replay_message(envelope: Envelope, *, original_message_id: str | None, subscription: str) -> ServiceBusMessage:
    """A dead letter sent back to one subscription only.

    The envelope (and so its id, which the inbox keys on) is unchanged; the broker message id is new, because
    duplicate detection would drop a re-send of the original id inside its window. The subject is cleared
    so no event-type rule matches; the subscription's `precise-replay` rule matches `to` instead.
    """
    message = to_message(envelope)
    message.message_id = str(uuid.uuid4())
    message.subject = None
    message.to = subscription
    message.application_properties = {
        **(message.application_properties or {}),
        ORIGINAL_MESSAGE_ID: original_message_id or envelope.id,
    }
    return message


def to_envelope(message: ServiceBusReceivedMessage) -> Envelope:
    """The envelope a received message carries; UnmappableMessage if it is not one of ours."""
    if message.body_type != AmqpMessageBodyType.DATA:
        raise UnmappableMessage(f"body is an AMQP {message.body_type.value} section, not data")
    content_type = (message.content_type or "").split(";")[0].strip().lower()
    if content_type != binding.CONTENT_TYPE:
        raise UnmappableMessage(f"content type {message.content_type!r} is not {binding.CONTENT_TYPE}")
    try:
        # A native AMQP timestamp arrives as epoch milliseconds, which pydantic reads as such.
        return binding.envelope_from(message.application_properties or {}, b"".join(message.body))
    except ValueError as exc:
        raise UnmappableMessage(f"not a Precise event: {exc}") from exc


def delivery_attempt(message: ServiceBusReceivedMessage) -> int:
    """Which delivery this is, 1 on the first.

    The Python SDK exposes the AMQP header's delivery-count, which counts *prior* attempts (0 when first
    received; the broker adds one on every abandon or lock expiry). .NET adds one for you; Python does not.
    """
    return (message.delivery_count or 0) + 1


def original_message_id(message: ServiceBusReceivedMessage) -> str | None:
    for key, value in (message.application_properties or {}).items():
        if key in (ORIGINAL_MESSAGE_ID, ORIGINAL_MESSAGE_ID.encode()):
            return value.decode() if isinstance(value, bytes) else str(value)
    return message.message_id


def unmappable_settlement(error: UnmappableMessage) -> Settlement:
    return Settlement(Action.DEAD_LETTER, UNPROCESSABLE, _truncate(str(error)))


def subscription_rules(subscription: Subscription) -> dict[str, dict[str, str]]:
    """Rule name -> the correlation filter (spelt as in the SDK and the emulator's Config.json)."""
    return {
        name: {field.capitalize(): value for field, value in correlation.items()}
        for name, correlation in correlation_rules(subscription).items()
    }


def emulator_config(
    topics: Iterable[Topic | str],
    subscriptions: Iterable[Subscription],
    *,
    prefix: str = "",
    lock_duration: timedelta = timedelta(seconds=60),
    duplicate_detection_window: timedelta = timedelta(minutes=5),
) -> dict[str, Any]:
    """The Service Bus emulator's Config.json for a topology (the emulator has no administration API for the
    Python SDK, so its entities are declared up front). Defaults sit within the emulator's limits."""
    names = {t if isinstance(t, str) else t.name for t in topics}
    by_topic: dict[str, list[Subscription]] = {name: [] for name in names}
    for subscription in subscriptions:
        by_topic.setdefault(subscription.topic, []).append(subscription)
    return {
        "UserConfig": {
            "Namespaces": [
                {
                    "Name": "sbemulatorns",
                    "Queues": [],
                    "Topics": [
                        _emulator_topic(prefix + topic, subs, lock_duration, duplicate_detection_window)
                        for topic, subs in sorted(by_topic.items())
                    ],
                }
            ],
            "Logging": {"Type": "Console"},
        }
    }


def _emulator_topic(
    name: str, subscriptions: list[Subscription], lock_duration: timedelta, window: timedelta
) -> dict[str, Any]:
    return {
        "Name": name,
        "Properties": {
            "RequiresDuplicateDetection": True,
            "DuplicateDetectionHistoryTimeWindow": _iso_duration(window),
        },
        "Subscriptions": [
            {
                "Name": s.name,
                "Properties": {
                    "LockDuration": _iso_duration(lock_duration),
                    "MaxDeliveryCount": s.max_delivery,
                    "DeadLetteringOnMessageExpiration": True,
                },
                "Rules": [
                    {
                        "Name": rule,
                        "Properties": {"FilterType": "Correlation", "CorrelationFilter": correlation},
                    }
                    for rule, correlation in subscription_rules(s).items()
                ],
            }
            for s in sorted(subscriptions, key=lambda s: s.name)
        ],
    }


def _iso_duration(duration: timedelta) -> str:
    return f"PT{int(duration.total_seconds())}S"


def _truncate(text: str) -> str:
    return text[:DESCRIPTION_LIMIT]
