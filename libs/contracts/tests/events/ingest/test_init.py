import pytest

from precise_contracts.envelope import Event
from precise_contracts.events.ingest import (
    BiometricIdentified,
    IncidentRecorded,
    IntelligenceRecorded,
    PersonRecordObserved,
    VehicleSightingsBatched,
)
from precise_contracts.registry import REGISTRY

INGEST_EVENTS = [
    PersonRecordObserved,
    VehicleSightingsBatched,
    BiometricIdentified,
    IntelligenceRecorded,
    IncidentRecorded,
]


@pytest.mark.parametrize("event", INGEST_EVENTS)
def test_each_ingest_event_travels_on_the_ingest_topic(event: type[Event]) -> None:
    assert REGISTRY.topic_for(event) == "ingest"
    assert REGISTRY.event_class(event.type) is event
    assert event.domain() == "ingest"


@pytest.mark.parametrize("event", INGEST_EVENTS)
def test_only_ingest_adapters_may_publish_them(event: type[Event]) -> None:
    assert REGISTRY.may_publish("ingest-adapters", event.type)
    assert not REGISTRY.may_publish("risk-summary", event.type)


def test_the_ingest_topic_carries_exactly_these_events() -> None:
    topic = REGISTRY.topic("ingest")

    assert topic.producers == ("ingest-adapters",)
    assert {r.event for r in REGISTRY.routes if r.topic == "ingest"} == set(INGEST_EVENTS)


@pytest.mark.parametrize("event", INGEST_EVENTS)
def test_every_field_is_documented(event: type[Event]) -> None:
    schema = event.model_json_schema()
    models = [schema, *schema.get("$defs", {}).values()]

    undocumented = [
        f"{model['title']}.{name}"
        for model in models
        for name, field in model.get("properties", {}).items()
        if not field.get("description")
    ]

    assert not undocumented
