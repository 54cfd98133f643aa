from __future__ import annotations

from typing import Any, ClassVar

import pytest
from pydantic import Field

from precise_contracts.envelope import Event
from precise_contracts.registry import Route, Topic, TopicRegistry
from precise_contracts.topology.asyncapi import document

SEIZED = "uk.police.precise.evidence.exhibit-seized.v1"
RELEASED = "uk.police.precise.evidence.exhibit-released.v1"


def refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        return [v for k, v in node.items() if k == "$ref"] + [r for v in node.values() for r in refs(v)]
    if isinstance(node, list):
        return [r for v in node for r in refs(v)]
    return []


def resolve(doc: dict[str, Any], ref: str) -> Any:
    assert ref.startswith("#/"), f"{ref} is not a local reference"
    node: Any = doc
    for part in ref[2:].split("/"):
        key = part.replace("~1", "/").replace("~0", "~")
        assert isinstance(node, dict), f"{ref} does not resolve at {key!r}"
        assert key in node, f"{ref} does not resolve at {key!r}"
        node = node[key]
    return node


def test_the_document_has_what_asyncapi_3_requires(registry: TopicRegistry) -> None:
    doc = document(registry)

    assert doc["asyncapi"] == "3.0.0"
    assert {"title", "version"} <= doc["info"].keys()
    assert doc["servers"]["local"]["protocol"] == "amqp"
    assert doc["servers"]["production"]["protocol"] == "amqps"
    assert {op["action"] for op in doc["operations"].values()} == {"send", "receive"}


def test_every_reference_resolves(registry: TopicRegistry) -> None:
    doc = document(registry)

    found = refs(doc)
    assert "#/components/schemas/SeizurePlace" in found  # nested models are hoisted, not left in $defs
    for ref in found:
        resolve(doc, ref)


def test_a_channel_per_topic_addressed_by_its_name_with_its_own_messages(registry: TopicRegistry) -> None:
    channels = document(registry)["channels"]

    assert {name: c["address"] for name, c in channels.items()} == {
        "evidence": "evidence",
        "ingest": "ingest",
    }
    assert set(channels["evidence"]["messages"]) == {SEIZED, RELEASED}
    assert channels["evidence"]["bindings"]["amqp"]["exchange"]["name"] == "precise.evidence"


def test_a_filtered_subscription_receives_only_the_type_it_wants(registry: TopicRegistry) -> None:
    operations = document(registry)["operations"]

    cps = operations["share-to-cps.receives.evidence"]
    assert cps["action"] == "receive"
    assert cps["messages"] == [{"$ref": f"#/channels/evidence/messages/{SEIZED}"}]
    redaction = operations["redaction.receives.evidence"]
    assert len(redaction["messages"]) == 2


def test_the_producer_sends_every_type_on_its_topic(registry: TopicRegistry) -> None:
    operations = document(registry)["operations"]

    send = operations["evidence-vault.sends.evidence"]
    assert send["action"] == "send"
    assert send["channel"] == {"$ref": "#/channels/evidence"}
    assert {m["$ref"].rsplit("/", 1)[1] for m in send["messages"]} == {SEIZED, RELEASED}


def test_a_message_says_what_happened_and_carries_the_cloudevents_attributes(registry: TopicRegistry) -> None:
    doc = document(registry)
    message = doc["components"]["messages"][SEIZED]

    assert message["name"] == "ExhibitSeized"
    assert message["title"] == "Exhibit seized (v1)"
    assert message["summary"] == "An officer seized an exhibit and booked it into the evidence store."
    assert message["contentType"] == "application/json"
    payload = resolve(doc, message["payload"]["$ref"])
    assert set(payload["properties"]) == {"exhibit_id", "place"}
    base, specific = message["headers"]["allOf"]
    headers = resolve(doc, base["$ref"])
    assert {"cloudEvents_id", "cloudEvents_type", "cloudEvents_source", "cloudEvents_time"} <= set(headers["required"])
    assert "cloudEvents_traceparent" in headers["properties"]
    assert "traceparent" in headers["properties"]
    assert specific["properties"]["cloudEvents_type"] == {"const": SEIZED}


def test_an_undocumented_event_is_refused() -> None:
    class Undocumented(Event):
        type: ClassVar[str] = "uk.police.precise.evidence.undocumented.v1"

        exhibit_id: str = Field(description="The exhibit reference.")

    registry = TopicRegistry(
        topics=(Topic(name="evidence", description="Exhibits.", producers=("evidence-vault",)),),
        routes=(Route(event=Undocumented, topic="evidence"),),
    )

    with pytest.raises(ValueError, match="Undocumented has no docstring"):
        document(registry)
