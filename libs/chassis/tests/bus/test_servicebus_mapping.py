"""Envelope <-> Service Bus message, settlement decisions, rules and the emulator's Config.json.

Received messages are made the way the broker hands them over: the outgoing message is converted and
AMQP-encoded by the SDK's own transport, then decoded by the public ServiceBusReceivedMessage.from_bytes,
so string properties come back as bytes and timestamps as milliseconds, exactly as on a live receive.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from azure.servicebus import ServiceBusMessage, ServiceBusReceivedMessage
from azure.servicebus._pyamqp._encode import encode_payload
from azure.servicebus._pyamqp.message import Header
from azure.servicebus._transport._pyamqp_transport import PyamqpTransport
from azure.servicebus.amqp import AmqpAnnotatedMessage, AmqpMessageProperties

from precise_chassis.bus.port import UNPROCESSABLE, Action, Settlement
from precise_chassis.bus.servicebus_mapping import (
    UnmappableMessage,
    delivery_attempt,
    emulator_config,
    original_message_id,
    replay_message,
    subscription_rules,
    to_envelope,
    to_message,
    unmappable_settlement,
)
from precise_contracts.data_encoding import encoded
from precise_contracts.envelope import Envelope
from precise_contracts.registry import Subscription, Topic
from precise_contracts.topology.servicebus import REPLAY_RULE

SEIZED = "uk.police.precise.evidence.exhibit-seized.v1"
RELEASED = "uk.police.precise.evidence.exhibit-released.v1"
TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"


def envelope(**changes: Any) -> Envelope:
    fields: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "source": "/precise/evidence-vault",
        "type": SEIZED,
        "subject": "EXH/2026/0042",
        "time": datetime(2026, 3, 1, 9, 15, 30, 123456, tzinfo=UTC),
        "dataschema": f"urn:uk:police:precise:schema:{SEIZED}",
        "traceparent": TRACEPARENT,
        "data": {"exhibit": "EXH/2026/0042", "sha256": "ab" * 32, "items": [{"kind": "cctv", "minutes": 12}]},
    }
    fields.update(changes)
    return Envelope(**fields)


def received(
    message: ServiceBusMessage | AmqpAnnotatedMessage,
    *,
    delivery_count: int | None = None,
    **extra_properties: Any,
) -> ServiceBusReceivedMessage:
    """The message as a receiver gets it from the broker."""
    raw = message if isinstance(message, AmqpAnnotatedMessage) else message.raw_amqp_message
    if extra_properties:
        properties: dict[str | bytes, Any] = dict(raw.application_properties or {})
        properties.update(extra_properties)
        raw.application_properties = properties
    amqp = PyamqpTransport.to_outgoing_amqp_message(raw)
    if delivery_count is not None:
        amqp = amqp._replace(header=Header(delivery_count=delivery_count))
    return ServiceBusReceivedMessage.from_bytes(bytes(encode_payload(bytearray(), amqp)))


def test_an_envelope_survives_the_trip_through_service_bus_unchanged() -> None:
    sent = envelope()
    assert to_envelope(received(to_message(sent))) == sent


def test_an_envelope_without_optional_attributes_survives_too() -> None:
    sent = envelope(subject=None, dataschema=None, traceparent=None, data={})
    message = to_message(sent)
    assert set(message.application_properties or {}) == {
        "cloudEvents_specversion",
        "cloudEvents_id",
        "cloudEvents_source",
        "cloudEvents_type",
        "cloudEvents_time",
    }
    assert to_envelope(received(message)) == sent


def test_a_compressed_payload_travels_as_its_frame_with_its_encoding_beside_it() -> None:
    items = [{"kind": "cctv", "minutes": minutes} for minutes in range(2_000)]
    frame, encoding = encoded(json.dumps({"exhibit": "EXH/2026/0042", "items": items}).encode())
    sent = envelope(data=frame, dataencoding=encoding)
    message = to_message(sent)

    assert b"".join(message.body) == frame
    assert (message.application_properties or {})["cloudEvents_dataencoding"] == "zstd"
    got = to_envelope(received(message))
    assert got == sent
    assert got.payload()["items"] == items


def test_the_message_is_binary_mode_cloudevents_keyed_for_duplicate_detection_and_filters() -> None:
    sent = envelope()
    message = to_message(sent)

    assert message.message_id == sent.id  # broker duplicate detection keys on it
    assert message.subject == SEIZED  # the subscriptions' correlation rules match on it
    assert message.content_type == "application/json"
    assert b"".join(message.body) == sent.data  # the body is `data`, not the whole envelope
    assert message.application_properties == {
        "cloudEvents_specversion": "1.0",
        "cloudEvents_id": sent.id,
        "cloudEvents_source": "/precise/evidence-vault",
        "cloudEvents_type": SEIZED,
        "cloudEvents_subject": "EXH/2026/0042",
        "cloudEvents_time": "2026-03-01T09:15:30.123456Z",
        "cloudEvents_dataschema": f"urn:uk:police:precise:schema:{SEIZED}",
        "cloudEvents_traceparent": TRACEPARENT,
        "traceparent": TRACEPARENT,
    }


def test_a_message_from_another_cloudevents_producer_is_read() -> None:
    """The older `cloudEvents:` prefix, a native AMQP timestamp, a charset, and trace context only in the
    plain `traceparent` property are all accepted."""
    properties: dict[str | bytes, Any] = {
        "cloudEvents:specversion": "1.0",
        "cloudEvents:id": "anpr-7",
        "cloudEvents:source": "/precise/ingest-adapters",
        "cloudEvents:type": "uk.police.precise.anpr.sighting-recorded.v1",
        "cloudEvents:time": datetime(2026, 3, 1, 9, 15, 30, 123000, tzinfo=UTC),  # an AMQP timestamp
        "traceparent": TRACEPARENT,
    }
    message = ServiceBusMessage(
        b'{"vrm": "AB12CDE"}',
        content_type="application/json; charset=utf-8",
        application_properties=properties,
    )
    got = to_envelope(received(message))
    assert got.id == "anpr-7"
    assert got.time == datetime(2026, 3, 1, 9, 15, 30, 123000, tzinfo=UTC)
    assert got.traceparent == TRACEPARENT
    assert got.payload() == {"vrm": "AB12CDE"}


def test_the_cloudevents_traceparent_wins_over_one_the_sdk_tracing_rewrote() -> None:
    sent = envelope()
    sdk_span = "00-0af7651916cd43dd8448eb211c80319c-00f067aa0ba902b7-01"
    assert to_envelope(received(to_message(sent), traceparent=sdk_span)).traceparent == TRACEPARENT


@pytest.mark.parametrize(
    ("message", "complaint"),
    [
        (ServiceBusMessage(b"{}", content_type="application/json"), "type"),
        (
            ServiceBusMessage(
                b"not json",
                content_type="application/json",
                application_properties={"cloudEvents_type": SEIZED},
            ),
            "not a Precise event",
        ),
        (ServiceBusMessage(b"hello", content_type="text/plain"), "text/plain"),
        (
            AmqpAnnotatedMessage(
                value_body={"vrm": "AB12CDE"},
                properties=AmqpMessageProperties(content_type="application/json"),
            ),
            "value",
        ),
    ],
    ids=["no-attributes", "only-a-type", "not-json-content", "amqp-value-body"],
)
def test_a_message_that_is_not_a_precise_event_is_unmappable(
    message: ServiceBusMessage | AmqpAnnotatedMessage, complaint: str
) -> None:
    with pytest.raises(UnmappableMessage, match=complaint):
        to_envelope(received(message))


def test_a_message_whose_attributes_break_the_envelope_rules_is_unmappable() -> None:
    message = to_message(envelope())
    with pytest.raises(UnmappableMessage, match="source"):
        to_envelope(received(message, cloudEvents_source="not-a-precise-service"))


@pytest.mark.parametrize(("header_count", "attempt"), [(None, 1), (0, 1), (1, 2), (9, 10)])
def test_the_delivery_attempt_is_one_on_first_delivery(header_count: int | None, attempt: int) -> None:
    assert delivery_attempt(received(to_message(envelope()), delivery_count=header_count)) == attempt


def test_an_unmappable_message_is_dead_lettered_as_unprocessable() -> None:
    assert unmappable_settlement(UnmappableMessage("content type 'text/plain'")) == Settlement(
        Action.DEAD_LETTER, UNPROCESSABLE, "content type 'text/plain'"
    )


def test_a_replay_keeps_the_envelope_but_is_a_new_broker_message_for_one_subscription() -> None:
    original = envelope()
    replay = replay_message(original, original_message_id=original.id, subscription="risk-summary")

    assert replay.message_id not in (None, original.id)  # duplicate detection would drop the original id
    assert replay.subject is None  # so no event-type rule on any subscription matches it
    assert replay.to == "risk-summary"  # only this subscription's replay rule does
    back = received(replay)
    assert to_envelope(back) == original  # same event id: the inbox still sees a duplicate
    assert original_message_id(back) == original.id


def test_replaying_a_replay_keeps_the_first_message_id() -> None:
    original = envelope()
    first = received(replay_message(original, original_message_id=original.id, subscription="risk-summary"))
    again = replay_message(to_envelope(first), original_message_id=original_message_id(first), subscription="x")
    assert original_message_id(received(again)) == original.id


def test_a_subscription_has_a_rule_per_event_type_and_its_replay_rule() -> None:
    subscription = Subscription("evidence", "risk-summary", frozenset({SEIZED, RELEASED}))
    assert subscription_rules(subscription) == {
        "evidence.exhibit-released.v1": {"Label": RELEASED},
        "evidence.exhibit-seized.v1": {"Label": SEIZED},
        REPLAY_RULE: {"To": "risk-summary"},
    }


def test_the_emulator_config_declares_the_topology_under_its_prefix() -> None:
    risk = Subscription("evidence", "risk-summary", frozenset({SEIZED}), max_delivery=3)
    audit = Topic("audit", "every read of personal data", ("*",))

    config = emulator_config([audit], [risk], prefix="t1-")

    (namespace,) = config["UserConfig"]["Namespaces"]
    assert namespace["Name"] == "sbemulatorns"  # the only name the emulator accepts
    topics = {t["Name"]: t for t in namespace["Topics"]}
    assert set(topics) == {"t1-audit", "t1-evidence"}
    assert topics["t1-audit"]["Subscriptions"] == []
    evidence = topics["t1-evidence"]
    assert evidence["Properties"]["RequiresDuplicateDetection"] is True
    (subscription,) = evidence["Subscriptions"]
    assert subscription["Name"] == "risk-summary"
    assert subscription["Properties"]["MaxDeliveryCount"] == 3
    assert subscription["Properties"]["LockDuration"] == "PT60S"
    assert {r["Name"]: r["Properties"]["CorrelationFilter"] for r in subscription["Rules"]} == {
        "evidence.exhibit-seized.v1": {"Label": SEIZED},
        REPLAY_RULE: {"To": "risk-summary"},
    }
    assert all(r["Properties"]["FilterType"] == "Correlation" for r in subscription["Rules"])
