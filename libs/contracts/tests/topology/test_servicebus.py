from __future__ import annotations

from precise_contracts.registry import TopicRegistry
from precise_contracts.topology.servicebus import REPLAY_RULE, correlation_rules, rule_name


def test_a_rule_is_named_after_its_event_type_without_the_common_prefix() -> None:
    assert rule_name("uk.police.precise.evidence.exhibit-seized.v1") == "evidence.exhibit-seized.v1"


def test_a_long_event_type_gets_a_distinct_name_within_the_service_bus_limit() -> None:
    first = "uk.police.precise.evidence.exhibit-redaction-was-requested-by-the-cps.v1"
    second = "uk.police.precise.evidence.exhibit-redaction-was-requested-by-the-cps.v2"

    assert len(rule_name(first)) == 50
    assert rule_name(first) != rule_name(second)
    assert rule_name(first) == rule_name(first)


def test_a_subscription_has_a_rule_per_wanted_type_and_the_replay_rule(registry: TopicRegistry) -> None:
    (subscription,) = registry.subscriptions("share-to-cps")

    assert correlation_rules(subscription) == {
        "evidence.exhibit-seized.v1": {"label": "uk.police.precise.evidence.exhibit-seized.v1"},
        REPLAY_RULE: {"to": "share-to-cps"},
    }
