import hashlib
from collections.abc import Callable
from typing import Any

import pytest
from pydantic import ValidationError

from precise_contracts.envelope import Envelope, Event
from precise_contracts.events.ingest.vehicle import MAX_SIGHTINGS_PER_BATCH, Direction, VehicleSightingsBatched

Carry = Callable[[Event], tuple[Envelope, Event]]

SERVICE_BUS_STANDARD_MESSAGE_LIMIT = 256 * 1024
PLATE = {"key": "anpr/2024/03/01/read-000001-plate.jpg", "sha256": hashlib.sha256(b"plate").hexdigest()}
OVERVIEW = {"key": "anpr/2024/03/01/read-000001-overview.jpg", "sha256": hashlib.sha256(b"overview").hexdigest()}
READ: dict[str, Any] = {
    "read_id": "READ-000001",
    "vrm": "ab12 cde",
    "read_at": "2024-03-01T08:15:02.120+00:00",
    "camera_id": "CAM-0042",
    "site_id": "SITE-A1M-J10",
    "lane": 2,
    "direction": "N",
    "location": {"latitude": 52.0667, "longitude": -0.2167, "description": "A1(M) J10 northbound"},
    "confidence": 0.97,
    "plate_image": PLATE,
    "overview_image": OVERVIEW,
}


def read(number: int, **changes: Any) -> dict[str, Any]:
    return {**READ, "read_id": f"READ-{number:06d}", **changes}


def batch(reads: list[dict[str, Any]] | None = None, **changes: Any) -> VehicleSightingsBatched:
    return VehicleSightingsBatched.model_validate(
        {"batch_id": "BATCH-20240301-0001", "source": {"system": "anpr"}, "sightings": reads or [READ], **changes}
    )


def test_a_batch_of_reads_crosses_the_bus_unchanged(carry: Carry) -> None:
    sent = batch([read(1), read(2, direction="towards", lane=None, confidence=None, overview_image=None)])

    envelope, received = carry(sent)

    assert received == sent
    assert envelope.type == "uk.police.precise.ingest.vehicle-sightings-batched.v1"
    assert envelope.subject == "anpr:BATCH-20240301-0001"


def test_a_read_arrives_normalised() -> None:
    sighting = batch().sightings[0]

    assert sighting.vrm == "AB12CDE"
    assert sighting.direction is Direction.NORTH
    assert sighting.read_at.utcoffset() is not None
    assert sighting.location.description == "A1(M) J10 northbound"


def test_a_legacy_export_of_reads_names_its_system() -> None:
    legacy = batch(source={"system": "legacy", "legacy_system": "old-anpr"})

    assert legacy.subject() == "legacy/old-anpr:BATCH-20240301-0001"


@pytest.mark.parametrize("confidence", [1.01, -0.1])
def test_a_confidence_outside_zero_to_one_is_refused(confidence: float) -> None:
    with pytest.raises(ValidationError, match="confidence"):
        batch([read(1, confidence=confidence)])


def test_a_read_time_without_a_timezone_is_refused() -> None:
    with pytest.raises(ValidationError, match="read_at\n  Input should have timezone info"):
        batch([read(1, read_at="2024-03-01T08:15:02")])


def test_a_camera_outside_the_uk_is_refused() -> None:
    with pytest.raises(ValidationError, match=r"longitude 2\.3522 is outside the UK"):
        batch([read(1, location={"latitude": 50.95, "longitude": 2.3522})])


def test_an_impossible_vrm_is_refused() -> None:
    with pytest.raises(ValidationError, match="VRM 'AB12IDE' has the current layout"):
        batch([read(1, vrm="AB12IDE")])


def test_an_unknown_direction_is_refused() -> None:
    with pytest.raises(ValidationError, match="direction"):
        batch([read(1, direction="up")])


def test_a_read_id_appears_once_in_a_batch() -> None:
    with pytest.raises(ValidationError, match="read id 'READ-000001' appears twice in the batch"):
        batch([read(1), read(1)])


def test_a_batch_holds_between_one_and_the_maximum_number_of_reads() -> None:
    assert len(batch([read(n) for n in range(MAX_SIGHTINGS_PER_BATCH)]).sightings) == MAX_SIGHTINGS_PER_BATCH
    with pytest.raises(ValidationError, match="sightings"):
        VehicleSightingsBatched.model_validate({"batch_id": "B", "source": {"system": "anpr"}, "sightings": []})
    with pytest.raises(ValidationError, match="sightings"):
        batch([read(n) for n in range(MAX_SIGHTINGS_PER_BATCH + 1)])


def test_a_full_batch_fits_in_one_service_bus_message() -> None:
    long_id = "X" * 40
    reads = [
        read(
            n,
            read_id=f"{long_id}-{n:06d}",
            camera_id=long_id,
            site_id=long_id,
            location={"latitude": 52.066712345, "longitude": -0.216712345, "description": "D" * 60},
            plate_image={**PLATE, "key": "anpr/" + "k" * 80},
            overview_image={**OVERVIEW, "key": "anpr/" + "k" * 80},
        )
        for n in range(MAX_SIGHTINGS_PER_BATCH)
    ]

    body = Envelope.wrap(batch(reads), service="ingest-adapters").to_bytes()

    assert len(body) < SERVICE_BUS_STANDARD_MESSAGE_LIMIT
