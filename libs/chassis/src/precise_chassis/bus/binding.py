"""The CloudEvents AMQP protocol binding (1.0.2) in binary content mode, as both brokers carry events (ADR 0007):
the body is `data` exactly as the producer serialised it, the message's content type is `datacontenttype`,
and every other attribute is an application property (a header on RabbitMQ) named `cloudEvents_<attribute>`
(`cloudEvents:<attribute>`, the older spelling, is accepted when reading). `traceparent` also travels as a
plain property, so tools and the brokers' own tracing find it without knowing the binding.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from precise_contracts.envelope import Envelope

PREFIXES = ("cloudEvents_", "cloudEvents:")
CONTENT_TYPE = "application/json"
TRACEPARENT = "traceparent"
ATTRIBUTES = tuple(name for name in Envelope.model_fields if name not in ("data", "datacontenttype"))


def properties(envelope: Envelope) -> dict[str, str]:
    """The application properties (headers) that carry the envelope's attributes."""
    carried = {PREFIXES[0] + name: value for name, value in envelope.attributes().items()}
    if envelope.traceparent is not None:
        carried[TRACEPARENT] = envelope.traceparent
    return carried


def envelope_from(carried: Mapping[Any, Any], body: bytes) -> Envelope:
    """The envelope a message carries; ValueError (a pydantic ValidationError) if its attributes are not ours.

    The body is not parsed here: the consumer's contract validates it, once, and an undecodable body is then
    dead-lettered as unprocessable like any payload that does not match its schema.
    """
    texts = {_text(key): value for key, value in carried.items()}
    attributes: dict[str, Any] = {}
    for name in ATTRIBUTES:
        for prefix in PREFIXES:
            if prefix + name in texts:
                attributes[name] = _text(texts[prefix + name])
                break
    if "traceparent" not in attributes and TRACEPARENT in texts:
        attributes["traceparent"] = _text(texts[TRACEPARENT])
    return Envelope.from_attributes(attributes, body)


def _text(value: Any) -> Any:
    """Brokers hand string properties back as bytes at times; decode those."""
    return value.decode() if isinstance(value, bytes) else value
