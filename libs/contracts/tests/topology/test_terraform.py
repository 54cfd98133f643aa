from __future__ import annotations

import re
from pathlib import Path

from precise_contracts.registry import TopicRegistry
from precise_contracts.topology.terraform import tfvars

TERRAFORM = Path(__file__).resolve().parents[4] / "deploy" / "terraform"
SEIZED = "uk.police.precise.evidence.exhibit-seized.v1"


def test_topics_keep_their_descriptions(registry: TopicRegistry) -> None:
    assert tfvars(registry)["servicebus_topics"] == {
        "evidence": {"description": "Exhibits and their custody."},
        "ingest": {"description": "Records read from source systems."},
    }


def test_a_filtered_subscription_gets_a_rule_for_exactly_its_type(registry: TopicRegistry) -> None:
    subscription = tfvars(registry)["servicebus_subscriptions"]["evidence.share-to-cps"]

    assert subscription["topic"] == "evidence"
    assert subscription["service"] == "share-to-cps"
    assert subscription["max_delivery_count"] == 10
    assert subscription["event_types"] == [SEIZED]
    event_rules = {r["label"] for r in subscription["rules"].values() if "label" in r}
    assert event_rules == {SEIZED}
    assert {"to": "share-to-cps"} in subscription["rules"].values()


def test_a_service_s_own_max_delivery_reaches_its_subscription(registry: TopicRegistry) -> None:
    assert tfvars(registry)["servicebus_subscriptions"]["ingest.risk-summary"]["max_delivery_count"] == 5


def test_the_terraform_declares_a_variable_for_every_generated_one(registry: TopicRegistry) -> None:
    declared = set(re.findall(r'^variable "([a-z_]+)"', (TERRAFORM / "variables.tf").read_text(), re.MULTILINE))

    assert set(tfvars(registry)) <= declared
