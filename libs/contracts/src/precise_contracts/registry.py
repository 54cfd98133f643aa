"""The topic registry: the one place that says which service publishes which event type on which topic,
and which services subscribe. The AsyncAPI document, JSON Schemas, RabbitMQ topology, Terraform
topics/subscriptions and Helm values are all generated from it (`make topology`)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from importlib.metadata import entry_points

from precise_contracts.envelope import Event
from precise_contracts.events.audit import PersonalDataAccessed
from precise_contracts.events.ingest import (
    BiometricIdentified,
    IncidentRecorded,
    IntelligenceRecorded,
    PersonRecordObserved,
    VehicleSightingsBatched,
)

ANY_SERVICE = "*"
DEFAULT_MAX_DELIVERY = 10


@dataclass(frozen=True)
class Topic:
    """One topic per producing domain."""

    name: str
    description: str
    producers: tuple[str, ...]


@dataclass(frozen=True)
class Route:
    """An event type, the topic it travels on, and the services that consume it."""

    event: type[Event]
    topic: str
    consumers: tuple[str, ...] = ()


@dataclass(frozen=True)
class Subscription:
    """One subscription per consuming service on a topic, filtered on the event types it wants."""

    topic: str
    service: str
    event_types: frozenset[str]
    max_delivery: int = DEFAULT_MAX_DELIVERY

    @property
    def name(self) -> str:
        return self.service

    @property
    def queue(self) -> str:
        return f"{self.topic}.{self.service}"


@dataclass(frozen=True)
class TopicRegistry:
    topics: tuple[Topic, ...]
    routes: tuple[Route, ...]
    max_delivery: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        names = [t.name for t in self.topics]
        if len(names) != len(set(names)):
            raise ValueError(f"topic declared twice: {names}")
        types = [r.event.type for r in self.routes]
        if len(types) != len(set(types)):
            raise ValueError(f"event type routed twice: {types}")
        for route in self.routes:
            if route.topic not in names:
                raise ValueError(f"{route.event.type} routed to unknown topic {route.topic}")

    def merged(self, other: TopicRegistry) -> TopicRegistry:
        return TopicRegistry(
            topics=self.topics + other.topics,
            routes=self.routes + other.routes,
            max_delivery={**self.max_delivery, **other.max_delivery},
        )

    def topic(self, name: str) -> Topic:
        for topic in self.topics:
            if topic.name == name:
                return topic
        raise KeyError(f"no topic {name!r} in the registry")

    def route(self, event_type: str) -> Route:
        for route in self.routes:
            if route.event.type == event_type:
                return route
        raise KeyError(f"event type {event_type!r} is not in the topic registry")

    def event_class(self, event_type: str) -> type[Event]:
        return self.route(event_type).event

    def topic_for(self, event: type[Event] | Event) -> str:
        return self.route(event.type).topic

    def may_publish(self, service: str, event_type: str) -> bool:
        producers = self.topic(self.route(event_type).topic).producers
        return service in producers or ANY_SERVICE in producers

    def subscriptions(self, service: str | None = None) -> list[Subscription]:
        wanted: dict[tuple[str, str], set[str]] = {}
        for route in self.routes:
            for consumer in route.consumers:
                if service is None or consumer == service:
                    wanted.setdefault((route.topic, consumer), set()).add(route.event.type)
        return [
            Subscription(
                topic=topic,
                service=consumer,
                event_types=frozenset(types),
                max_delivery=self.max_delivery.get(consumer, DEFAULT_MAX_DELIVERY),
            )
            for (topic, consumer), types in sorted(wanted.items())
        ]

    def events(self) -> Iterator[type[Event]]:
        return (route.event for route in self.routes)

    def consumed_by(self, service: str) -> set[str]:
        return {r.event.type for r in self.routes if service in r.consumers}


REGISTRY = TopicRegistry(
    topics=(
        Topic(
            name="audit",
            description="Every read of personal data, from every service (written by the chassis).",
            producers=(ANY_SERVICE,),
        ),
        Topic(
            name="ingest",
            description="Records read from PNC, ANPR, IDENT1 and legacy systems, in canonical form with provenance.",
            producers=("ingest-adapters",),
        ),
    ),
    routes=(
        Route(event=PersonalDataAccessed, topic="audit", consumers=()),
        Route(event=PersonRecordObserved, topic="ingest", consumers=()),
        Route(event=VehicleSightingsBatched, topic="ingest", consumers=()),
        Route(event=BiometricIdentified, topic="ingest", consumers=()),
        Route(event=IntelligenceRecorded, topic="ingest", consumers=()),
        Route(event=IncidentRecorded, topic="ingest", consumers=()),
    ),
)


def installed_registry(extensions: Iterable[str] = ("precise.topics",)) -> TopicRegistry:
    """The shipped registry plus any installed extensions (test-only services register theirs this way)."""
    registry = REGISTRY
    for group in extensions:
        for entry in entry_points(group=group):
            extension = entry.load()
            if not isinstance(extension, TopicRegistry):
                raise TypeError(f"entry point {entry.name} in {group} is not a TopicRegistry")
            registry = registry.merged(extension)
    return registry
