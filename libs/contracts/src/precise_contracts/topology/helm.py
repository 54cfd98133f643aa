"""Per-service topology for the Helm chart (`deploy/helm/precise/values.generated.yaml`): what each service
publishes and which filtered subscriptions it consumes."""

from __future__ import annotations

from typing import Any

from precise_contracts.registry import ANY_SERVICE, TopicRegistry


def services(registry: TopicRegistry) -> list[str]:
    """Every service the registry names as a producer or consumer ("*", any service, is not one)."""
    named = {p for topic in registry.topics for p in topic.producers}
    named |= {c for route in registry.routes for c in route.consumers}
    return sorted(named - {ANY_SERVICE})


def values(registry: TopicRegistry) -> dict[str, Any]:
    return {
        "services": {
            service: {
                "topics": {
                    "publishes": sorted(t.name for t in registry.topics if {service, ANY_SERVICE} & set(t.producers)),
                    "subscribes": [
                        {
                            "topic": s.topic,
                            "subscription": s.name,
                            "eventTypes": sorted(s.event_types),
                        }
                        for s in registry.subscriptions(service)
                    ],
                }
            }
            for service in services(registry)
        }
    }
