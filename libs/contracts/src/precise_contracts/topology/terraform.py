"""The Service Bus topology as Terraform variables (`deploy/terraform/topology.auto.tfvars.json`), which the
hand-written `deploy/terraform/servicebus.tf` turns into topics, subscriptions and their rules."""

from __future__ import annotations

from typing import Any

from precise_contracts.registry import TopicRegistry
from precise_contracts.topology.servicebus import correlation_rules


def tfvars(registry: TopicRegistry) -> dict[str, Any]:
    return {
        "servicebus_topics": {topic.name: {"description": topic.description} for topic in registry.topics},
        "servicebus_subscriptions": {
            subscription.queue: {
                "topic": subscription.topic,
                "service": subscription.service,
                "max_delivery_count": subscription.max_delivery,
                "event_types": sorted(subscription.event_types),
                "rules": correlation_rules(subscription),
            }
            for subscription in registry.subscriptions()
        },
    }
