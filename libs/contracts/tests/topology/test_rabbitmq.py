from __future__ import annotations

from typing import Any

from precise_contracts.registry import TopicRegistry
from precise_contracts.topology.rabbitmq import (
    DEAD_LETTER_EXCHANGE,
    dead_letter_queue_name,
    definitions,
    exchange_name,
    queue_name,
)

SEIZED = "uk.police.precise.evidence.exhibit-seized.v1"
RELEASED = "uk.police.precise.evidence.exhibit-released.v1"


def bindings_to(defs: dict[str, Any], queue: str) -> set[tuple[str, str]]:
    return {(b["source"], b["routing_key"]) for b in defs["bindings"] if b["destination"] == queue}


def queue(defs: dict[str, Any], name: str) -> dict[str, Any]:
    found: list[dict[str, Any]] = [q for q in defs["queues"] if q["name"] == name]
    assert len(found) == 1, f"{len(found)} queues named {name}"
    return found[0]


def test_a_topic_exchange_per_topic_and_one_dead_letter_exchange(registry: TopicRegistry) -> None:
    exchanges = {e["name"]: e for e in definitions(registry)["exchanges"]}

    assert set(exchanges) == {"precise.evidence", "precise.ingest", DEAD_LETTER_EXCHANGE}
    assert exchanges["precise.evidence"]["type"] == "topic"
    assert exchanges[DEAD_LETTER_EXCHANGE]["type"] == "direct"
    assert all(e["durable"] and not e["auto_delete"] for e in exchanges.values())


def test_a_filtered_subscription_is_bound_only_to_the_type_it_wants(registry: TopicRegistry) -> None:
    defs = definitions(registry)

    assert bindings_to(defs, "evidence.share-to-cps") == {("precise.evidence", SEIZED)}
    assert bindings_to(defs, "evidence.redaction") == {
        ("precise.evidence", SEIZED),
        ("precise.evidence", RELEASED),
    }


def test_a_subscription_queue_is_quorum_and_dead_letters_to_its_own_queue(registry: TopicRegistry) -> None:
    defs = definitions(registry)

    risk = queue(defs, "ingest.risk-summary")
    assert risk["durable"] is True
    assert risk["arguments"] == {
        "x-queue-type": "quorum",
        "x-delivery-limit": 5,
        "x-dead-letter-exchange": DEAD_LETTER_EXCHANGE,
        "x-dead-letter-routing-key": "ingest.risk-summary",
    }
    assert queue(defs, "evidence.share-to-cps")["arguments"]["x-delivery-limit"] == 10
    assert queue(defs, "ingest.risk-summary.dead-letter")["arguments"] == {"x-queue-type": "quorum"}
    assert bindings_to(defs, "ingest.risk-summary.dead-letter") == {(DEAD_LETTER_EXCHANGE, "ingest.risk-summary")}


def test_a_prefix_isolates_every_entity_and_argument(registry: TopicRegistry) -> None:
    defs = definitions(registry, prefix="t42.")

    names = [e["name"] for e in defs["exchanges"]] + [q["name"] for q in defs["queues"]]
    assert all(name.startswith("t42.") for name in names)
    assert all(b["source"].startswith("t42.") for b in defs["bindings"])
    arguments = queue(defs, "t42.ingest.risk-summary")["arguments"]
    assert arguments["x-dead-letter-exchange"] == "t42." + DEAD_LETTER_EXCHANGE
    assert arguments["x-dead-letter-routing-key"] == "t42.ingest.risk-summary"


def test_the_naming_rules_the_adapter_declares_with(registry: TopicRegistry) -> None:
    (subscription,) = registry.subscriptions("share-to-cps")

    assert exchange_name("evidence") == "precise.evidence"
    assert exchange_name("evidence", prefix="t1.") == "t1.precise.evidence"
    assert queue_name(subscription) == "evidence.share-to-cps"
    assert dead_letter_queue_name(subscription, prefix="t1.") == "t1.evidence.share-to-cps.dead-letter"
