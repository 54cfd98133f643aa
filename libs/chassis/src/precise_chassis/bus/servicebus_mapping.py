"""Pure mappings between Precise and Azure Service Bus: envelope <-> message, handler outcome -> settlement,
subscription -> rules, topology -> the emulator's Config.json. No I/O, so unit tests need no namespace.

Messages use the CloudEvents AMQP binding (1.0.2) in binary content mode: the body is the JSON of `data`,
the AMQP content-type is `datacontenttype`, and every other attribute is an application property named
`cloudEvents_<attribute>` (`cloudEvents:<attribute>`, the older spelling, is accepted when reading).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from azure.servicebus import ServiceBusMessage, ServiceBusReceivedMessage
from azure.servicebus.amqp import AmqpMessageBodyType
from pydantic import TypeAdapter, ValidationError

from precise_chassis.bus.port import (
    DESCRIPTION_LIMIT,
    UNPROCESSABLE,
    Action,
    Settlement,
)
from precise_contracts.envelope import Envelope
from precise_contracts.registry import Subscription, Topic
from precise_contracts.topology.servicebus import correlation_rules

CLOUDEVENTS_PREFIXES = ("cloudEvents_", "cloudEvents:")
JSON = "application/json"
# W3C trace context as a plain property too, so the SDK's own tracing and Application Insights link spans.
TRACEPARENT = "traceparent"
# A replay is a new broker message (new message id, so duplicate detection keeps it) of the same envelope.
ORIGINAL_MESSAGE_ID = "precise_original_id"

_ATTRIBUTES = ("specversion", "id", "source", "type", "subject", "time", "dataschema", "traceparent")
_DATA = TypeAdapter(dict[str, Any])


class UnmappableMessage(ValueError):
    """A Service Bus message that is not a Precise CloudEvent (wrong body, missing or invalid attributes)."""


def to_message(envelope: Envelope) -> ServiceBusMessage:
    """The Service Bus message for an envelope; its message id is the event id, for duplicate detection."""
    properties: dict[str | bytes, Any] = {}
    for attribute in _ATTRIBUTES:
        value = getattr(envelope, attribute)
        if value is not None:
            # RFC 3339 text (the binding's canonical string form) keeps the microseconds that an AMQP
            # timestamp would drop.
            properties[CLOUDEVENTS_PREFIXES[0] + attribute] = (
                value.isoformat() if isinstance(value, datetime) else value
            )
    if envelope.traceparent is not None:
        properties[TRACEPARENT] = envelope.traceparent
    return ServiceBusMessage(
        _DATA.dump_json(envelope.data),
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
    if content_type != JSON:
        raise UnmappableMessage(f"content type {message.content_type!r} is not {JSON}")
    properties = _text_keys(message.application_properties or {})
    fields: dict[str, Any] = {}
    for attribute in _ATTRIBUTES:
        # A native AMQP timestamp arrives as epoch milliseconds, which pydantic reads as such.
        value = _attribute(properties, attribute)
        if value is not None:
            fields[attribute] = value
    if "traceparent" not in fields and TRACEPARENT in properties:
        fields["traceparent"] = _plain(properties[TRACEPARENT])
    try:
        fields["data"] = json.loads(b"".join(message.body))
        return Envelope.model_validate(fields)
    except (ValueError, ValidationError) as exc:
        raise UnmappableMessage(f"not a Precise event: {exc}") from exc


def delivery_attempt(message: ServiceBusReceivedMessage) -> int:
    """Which delivery this is, 1 on the first.

    The Python SDK exposes the AMQP header's delivery-count, which counts *prior* attempts (0 when first
    received; the broker adds one on every abandon or lock expiry). .NET adds one for you; Python does not.
    """
    return (message.delivery_count or 0) + 1


def original_message_id(message: ServiceBusReceivedMessage) -> str | None:
    properties = _text_keys(message.application_properties or {})
    if ORIGINAL_MESSAGE_ID in properties:
        return str(_plain(properties[ORIGINAL_MESSAGE_ID]))
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


def _plain(value: Any) -> Any:
    """Received string properties arrive as bytes; decode them."""
    return value.decode() if isinstance(value, bytes) else value


def _text_keys(properties: Mapping[str | bytes, Any]) -> dict[str, Any]:
    return {(k.decode() if isinstance(k, bytes) else k): v for k, v in properties.items()}


def _attribute(properties: Mapping[str, Any], attribute: str) -> Any:
    for prefix in CLOUDEVENTS_PREFIXES:
        if prefix + attribute in properties:
            return _plain(properties[prefix + attribute])
    return None
