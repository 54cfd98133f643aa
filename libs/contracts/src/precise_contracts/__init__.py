"""Precise contracts: the CloudEvents envelope, event payloads, the topic registry and shared value types."""

from precise_contracts.envelope import Envelope, Event
from precise_contracts.registry import REGISTRY, Route, Subscription, Topic, TopicRegistry

__all__ = ["REGISTRY", "Envelope", "Event", "Route", "Subscription", "Topic", "TopicRegistry"]
