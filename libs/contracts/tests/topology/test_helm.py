from __future__ import annotations

from pathlib import Path

import yaml

from precise_contracts.registry import REGISTRY, Topic, TopicRegistry
from precise_contracts.topology.helm import services, values

CHART = Path(__file__).resolve().parents[4] / "deploy" / "helm" / "precise"
SEIZED = "uk.police.precise.evidence.exhibit-seized.v1"


def test_a_consumer_sees_its_filtered_subscription(registry: TopicRegistry) -> None:
    cps = values(registry)["services"]["share-to-cps"]["topics"]

    assert cps == {
        "publishes": [],
        "subscribes": [{"topic": "evidence", "subscription": "share-to-cps", "eventTypes": [SEIZED]}],
    }


def test_a_producer_sees_the_topics_it_publishes_on(registry: TopicRegistry) -> None:
    assert values(registry)["services"]["evidence-vault"]["topics"] == {
        "publishes": ["evidence"],
        "subscribes": [],
    }


def test_any_service_is_not_a_service_but_lets_every_service_publish(registry: TopicRegistry) -> None:
    audit = registry.merged(
        TopicRegistry(topics=(Topic(name="audit", description="Reads of personal data.", producers=("*",)),), routes=())
    )

    assert "*" not in services(audit)
    assert values(audit)["services"]["share-to-cps"]["topics"]["publishes"] == ["audit"]


def test_every_service_the_registry_names_has_a_block_in_the_chart() -> None:
    chart = yaml.safe_load((CHART / "values.yaml").read_text())

    assert set(services(REGISTRY)) <= set(chart["services"])
    assert all(block["prefix"].startswith("/") for block in chart["services"].values())
