import hashlib
from collections.abc import Callable
from typing import Any

import pytest
from pydantic import ValidationError

from precise_contracts.envelope import Envelope, Event
from precise_contracts.events.ingest.incident import IncidentCategory, IncidentRecorded

Carry = Callable[[Event], tuple[Envelope, Event]]

INCIDENT: dict[str, Any] = {
    "source": {
        "system": "legacy",
        "legacy_system": "storm",
        "record_id": "CAD-20240301-0099",
        "recorded_on": "2024-03-01",
        "content_hash": hashlib.sha256(b"CAD-20240301-0099").hexdigest(),
    },
    "reference": "CAD 99 01/03/24",
    "category": "theft-offences",
    "classification": "Burglary - residential",
    "occurred_at": "2024-02-29T23:30:00+00:00",
    "reported_at": "2024-03-01T07:05:00+00:00",
    "address": {"lines": ["10 Example Street"], "town": "Exampleton", "postcode": "SW1A 1AA"},
    "coordinates": {"latitude": 51.5014, "longitude": -0.1419},
}


def incident(**changes: Any) -> IncidentRecorded:
    return IncidentRecorded.model_validate({**INCIDENT, **changes})


def test_an_incident_crosses_the_bus_unchanged(carry: Carry) -> None:
    sent = incident()

    envelope, received = carry(sent)

    assert received == sent
    assert envelope.type == "uk.police.precise.ingest.incident-recorded.v1"
    assert envelope.subject == "legacy/storm:CAD-20240301-0099"
    assert sent.category is IncidentCategory.THEFT_OFFENCES


def test_an_address_or_coordinates_alone_locate_an_incident() -> None:
    assert incident(coordinates=None).address is not None
    assert incident(address=None).coordinates is not None


def test_an_incident_without_a_place_is_refused() -> None:
    with pytest.raises(ValidationError, match="an incident needs a place"):
        incident(address=None, coordinates=None)


def test_coordinates_outside_the_uk_are_refused() -> None:
    with pytest.raises(ValidationError, match=r"latitude 40\.4168 is outside the UK"):
        incident(coordinates={"latitude": 40.4168, "longitude": -3.7038})


@pytest.mark.parametrize("field", ["occurred_at", "reported_at"])
def test_times_without_a_timezone_are_refused(field: str) -> None:
    with pytest.raises(ValidationError, match=f"{field}\n  Input should have timezone info"):
        incident(**{field: "2024-03-01T07:05:00"})


def test_an_unknown_category_is_refused() -> None:
    with pytest.raises(ValidationError, match="category"):
        incident(category="burglary")
