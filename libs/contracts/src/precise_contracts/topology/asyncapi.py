"""The AsyncAPI 3.0 document of the platform's events: a channel per topic, a message per event type, a
`send` operation per producer and topic, a `receive` operation per subscription."""

from __future__ import annotations

import inspect
import re
from importlib.metadata import version
from typing import Any

from pydantic import BaseModel

from precise_contracts.envelope import Envelope, Event
from precise_contracts.registry import ANY_SERVICE, Subscription, Topic, TopicRegistry
from precise_contracts.topology.rabbitmq import exchange_name, queue_name
from precise_contracts.topology.schemas import shared_definitions

ASYNCAPI_VERSION = "3.0.0"
AMQP_BINDING_VERSION = "0.3.0"
# CloudEvents AMQP binding: every attribute but `data` travels as an application property with this prefix.
CLOUDEVENTS_HEADER_PREFIX = "cloudEvents_"
HEADERS_SCHEMA = "CloudEventsHeaders"
CLOUDEVENTS_TRAIT = "cloudEvents"
ANY_SERVICE_LABEL = "any-service"
SCHEMA_REF = "#/components/schemas/{model}"
_WORD = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z0-9]+|[A-Z]+")


def document(registry: TopicRegistry) -> dict[str, Any]:
    events = list(registry.events())
    refs, schemas = shared_definitions(events, SCHEMA_REF)
    schemas[HEADERS_SCHEMA] = _headers_schema()
    return {
        "asyncapi": ASYNCAPI_VERSION,
        "info": {
            "title": "Precise events",
            "version": version("precise-contracts"),
            "description": (
                "Events between Precise services, generated from the topic registry in libs/contracts. "
                "One topic per producing domain; one subscription per consuming service, filtered on "
                "event type; delivery is at least once, so consumers are idempotent."
            ),
        },
        "defaultContentType": "application/json",
        "servers": _servers(),
        "channels": {topic.name: _channel(registry, topic) for topic in registry.topics},
        "operations": _operations(registry),
        "components": {
            "schemas": schemas,
            "messages": {event.type: _message(event, refs[event]) for event in events},
            "messageTraits": {CLOUDEVENTS_TRAIT: _cloudevents_trait()},
        },
    }


def _servers() -> dict[str, Any]:
    return {
        "local": {
            "host": "localhost:5672",
            "protocol": "amqp",
            "protocolVersion": "0.9.1",
            "description": (
                "RabbitMQ (local profile: developer machines, CI, e2e). A topic exchange per channel; "
                "the routing key is the event type; a quorum queue per subscription."
            ),
        },
        "production": {
            "host": "{namespace}.servicebus.windows.net",
            "protocol": "amqps",
            "protocolVersion": "1.0",
            "description": (
                "Azure Service Bus (azure profile). A topic per channel; a subscription per consuming "
                "service with a correlation rule on the message subject (the event type) per type."
            ),
            "variables": {"namespace": {"description": "The Service Bus namespace made by deploy/terraform."}},
        },
    }


def _channel(registry: TopicRegistry, topic: Topic) -> dict[str, Any]:
    producers = ", ".join(_who(p) for p in topic.producers)
    return {
        "address": topic.name,
        "title": topic.name,
        "description": f"{topic.description} Published by: {producers}.",
        "messages": {
            route.event.type: {"$ref": f"#/components/messages/{route.event.type}"}
            for route in registry.routes
            if route.topic == topic.name
        },
        "bindings": {
            "amqp": {
                "is": "routingKey",
                "exchange": {
                    "name": exchange_name(topic.name),
                    "type": "topic",
                    "durable": True,
                    "autoDelete": False,
                    "vhost": "/",
                },
                "bindingVersion": AMQP_BINDING_VERSION,
            }
        },
    }


def _operations(registry: TopicRegistry) -> dict[str, Any]:
    operations: dict[str, Any] = {}
    for topic in registry.topics:
        types = sorted(route.event.type for route in registry.routes if route.topic == topic.name)
        for producer in topic.producers:
            label = _service_label(producer)
            operations[f"{label}.sends.{topic.name}"] = {
                "action": "send",
                "channel": {"$ref": f"#/channels/{topic.name}"},
                "summary": f"Published on {topic.name} by {_who(producer)}.",
                "messages": _message_refs(topic.name, types),
            }
    for subscription in registry.subscriptions():
        operations[f"{subscription.service}.receives.{subscription.topic}"] = _receive(subscription)
    return operations


def _receive(subscription: Subscription) -> dict[str, Any]:
    return {
        "action": "receive",
        "channel": {"$ref": f"#/channels/{subscription.topic}"},
        "summary": f"{subscription.service} receives from {subscription.topic}.",
        "description": (
            f"Service Bus subscription `{subscription.name}` on topic `{subscription.topic}`; RabbitMQ queue "
            f"`{queue_name(subscription)}`. Only the listed event types are delivered; a message is "
            f"dead-lettered on its delivery number {subscription.max_delivery}."
        ),
        "messages": _message_refs(subscription.topic, sorted(subscription.event_types)),
        "bindings": {"amqp": {"ack": True, "bindingVersion": AMQP_BINDING_VERSION}},
    }


def _message_refs(topic: str, event_types: list[str]) -> list[dict[str, str]]:
    return [{"$ref": f"#/channels/{topic}/messages/{event_type}"} for event_type in event_types]


def _message(event: type[Event], payload_ref: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": event.__name__,
        "title": f"{_humanise(event.__name__)} ({event.type.rsplit('.', 1)[1]})",
        "summary": _summary(event),
        "contentType": "application/json",
        "headers": {
            "type": "object",
            "allOf": [
                {"$ref": SCHEMA_REF.format(model=HEADERS_SCHEMA)},
                {
                    "type": "object",
                    "properties": {
                        CLOUDEVENTS_HEADER_PREFIX + "type": {"const": event.type},
                        CLOUDEVENTS_HEADER_PREFIX + "dataschema": {"const": event.dataschema()},
                    },
                },
            ],
        },
        "payload": payload_ref,
        "traits": [{"$ref": f"#/components/messageTraits/{CLOUDEVENTS_TRAIT}"}],
        "bindings": {"amqp": {"messageType": event.type, "bindingVersion": AMQP_BINDING_VERSION}},
    }


def _cloudevents_trait() -> dict[str, Any]:
    return {
        "description": (
            "A CloudEvents 1.0 event (AMQP protocol binding, binary content mode): the body is the payload, "
            f"the other attributes travel as `{CLOUDEVENTS_HEADER_PREFIX}*` headers and the message id is the "
            "event id (duplicate detection). On Service Bus the subject is the event type; on RabbitMQ the "
            "routing key is. RabbitMQ consumers also read structured mode (content type "
            "application/cloudevents+json, the whole envelope of docs/schemas/envelope.json as the body)."
        ),
        "externalDocs": {
            "description": "CloudEvents AMQP protocol binding",
            "url": "https://github.com/cloudevents/spec/blob/v1.0.2/cloudevents/bindings/amqp-protocol-binding.md",
        },
    }


def _headers_schema() -> dict[str, Any]:
    """The envelope's attributes as headers, derived from the Envelope model so they cannot drift."""
    envelope = Envelope.model_json_schema()
    properties: dict[str, Any] = {}
    required: list[str] = []
    for attribute, schema in envelope["properties"].items():
        if attribute in ("data", "datacontenttype"):  # the body, and the message's own content type
            continue
        header = CLOUDEVENTS_HEADER_PREFIX + attribute
        nullable = any(branch == {"type": "null"} for branch in schema.get("anyOf", []))
        properties[header] = _header(schema)
        if not nullable:
            required.append(header)
    properties["traceparent"] = {
        "type": "string",
        "description": "The W3C trace context again, as a plain property, for the brokers' own SDK tracing.",
    }
    return {
        "type": "object",
        "description": "CloudEvents attributes, one application property (AMQP) or header each.",
        "properties": properties,
        "required": required,
    }


def _header(schema: dict[str, Any]) -> dict[str, Any]:
    """A header is absent rather than null, and has no default of its own."""
    branches = [b for b in schema.get("anyOf", []) if b != {"type": "null"}]
    plain = {k: v for k, v in schema.items() if k not in ("anyOf", "default", "title")}
    return {**(branches[0] if len(branches) == 1 else {}), **plain}


def _summary(event: type[BaseModel]) -> str:
    doc = event.__dict__.get("__doc__")
    if not doc:
        raise ValueError(f"{event.__name__} has no docstring; every event says what happened")
    first_paragraph = inspect.cleandoc(doc).split("\n\n", 1)[0]
    return " ".join(first_paragraph.split())


def _humanise(class_name: str) -> str:
    words = [w if w.isupper() and len(w) > 1 else w.lower() for w in _WORD.findall(class_name)]
    text = " ".join(words)
    return text[:1].upper() + text[1:]


def _service_label(service: str) -> str:
    return ANY_SERVICE_LABEL if service == ANY_SERVICE else service


def _who(service: str) -> str:
    return "any Precise service" if service == ANY_SERVICE else service
