from __future__ import annotations

from precise_contracts.registry import TopicRegistry
from precise_contracts.topology.schemas import DIALECT, envelope_schema, event_schema

SEIZED = "uk.police.precise.evidence.exhibit-seized.v1"


def test_an_event_schema_is_identified_by_the_urn_its_envelopes_name(registry: TopicRegistry) -> None:
    schema = event_schema(registry.event_class(SEIZED))

    assert schema["$schema"] == DIALECT
    assert schema["$id"] == "urn:uk:police:precise:schema:" + SEIZED
    assert schema["title"] == "ExhibitSeized"
    assert schema["required"] == ["exhibit_id", "place"]
    assert schema["additionalProperties"] is False  # extra="forbid": an unknown field is an error
    assert schema["properties"]["place"] == {
        "$ref": "#/$defs/SeizurePlace",
        "description": "Where it was seized.",
    }
    assert "postcode" in schema["$defs"]["SeizurePlace"]["properties"]


def test_the_envelope_schema_names_the_cloudevents_attributes() -> None:
    schema = envelope_schema()

    assert schema["$id"] == "urn:uk:police:precise:schema:envelope"
    assert {"id", "source", "type", "time", "data"} <= set(schema["required"])
    assert "traceparent" in schema["properties"]
