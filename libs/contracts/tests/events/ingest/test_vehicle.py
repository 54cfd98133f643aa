from collections.abc import Callable
from typing import Any

import pytest
from pydantic import ValidationError

from precise_contracts.envelope import Envelope, Event
from precise_contracts.events.ingest.vehicle import (
    MAX_SIGHTINGS_PER_BATCH,
    Direction,
    VehicleSighting,
    VehicleSightingsBatched,
)

Carry = Callable[[Event], tuple[Envelope, Event]]

A1M = {
    "camera_id": "CAM-0042",
    "site_id": "SITE-A1M-J10",
    "location": {"latitude": 52.0667, "longitude": -0.2167, "description": "A1(M) J10 northbound"},
}
M1 = {"camera_id": "CAM-0107", "site_id": None, "location": {"latitude": 52.4, "longitude": -1.2}}
READ: dict[str, Any] = {
    "read_id": "READ-000001",
    "vrm": "AB12CDE",
    "read_at": "2024-03-01T08:15:02.120+00:00",
    "camera": 0,
    "lane": 2,
    "direction": "N",
    "confidence": 0.97,
    "plate_image": "images/2024/03/01/READ-000001-plate.jpg",
    "overview_image": "images/2024/03/01/READ-000001-overview.jpg",
    "is_update": False,
}
COLUMNS = {
    "read_ids": "read_id",
    "vrms": "vrm",
    "read_at": "read_at",
    "camera_index": "camera",
    "lanes": "lane",
    "directions": "direction",
    "confidences": "confidence",
    "plate_images": "plate_image",
    "overview_images": "overview_image",
    "is_update": "is_update",
}


def read(number: int, **changes: Any) -> dict[str, Any]:
    return {**READ, "read_id": f"READ-{number:06d}", **changes}


def batch(
    reads: list[dict[str, Any]] | None = None, cameras: list[dict[str, Any]] | None = None, **changes: Any
) -> VehicleSightingsBatched:
    """A batch of reads given one by one, laid out as the contract's columns."""
    rows = reads or [READ]
    columns = {column: [row[name] for row in rows] for column, name in COLUMNS.items()}
    return VehicleSightingsBatched.model_validate(
        {"batch_id": "BATCH-20240301-0001", "source": {"system": "anpr"}, "cameras": cameras or [A1M, M1]}
        | columns
        | changes
    )


def test_a_batch_of_reads_crosses_the_bus_unchanged(carry: Carry) -> None:
    second = read(2, camera=1, direction="towards", lane=None, confidence=None, overview_image=None, is_update=True)
    sent = batch([read(1), second])

    envelope, received = carry(sent)

    assert received == sent
    assert envelope.type == "uk.police.precise.ingest.vehicle-sightings-batched.v2"
    assert envelope.subject == "anpr:BATCH-20240301-0001"


def test_each_read_can_be_had_whole_with_its_camera_position() -> None:
    first, second = batch([read(1), read(2, camera=1, direction="towards", lane=None)]).sightings()

    assert isinstance(first, VehicleSighting)
    assert (first.read_id, first.vrm, first.direction, first.lane) == ("READ-000001", "AB12CDE", Direction.NORTH, 2)
    assert (first.camera_id, first.site_id, first.location.description) == (
        "CAM-0042",
        "SITE-A1M-J10",
        "A1(M) J10 northbound",
    )
    assert first.read_at.utcoffset() is not None
    assert first.plate_image == "images/2024/03/01/READ-000001-plate.jpg"
    assert (second.camera_id, second.site_id, second.direction, second.lane) == (
        "CAM-0107",
        None,
        Direction.TOWARDS,
        None,
    )


def test_a_legacy_export_of_reads_names_its_system() -> None:
    legacy = batch(source={"system": "legacy", "legacy_system": "old-anpr"})

    assert legacy.subject() == "legacy/old-anpr:BATCH-20240301-0001"


@pytest.mark.parametrize("confidence", [1.01, -0.1])
def test_a_confidence_outside_zero_to_one_is_refused(confidence: float) -> None:
    with pytest.raises(ValidationError, match="confidences"):
        batch([read(1, confidence=confidence)])


def test_a_read_time_without_a_timezone_is_refused() -> None:
    with pytest.raises(ValidationError, match=r"read_at\.0\n  Input should have timezone info"):
        batch([read(1, read_at="2024-03-01T08:15:02")])


def test_a_camera_outside_the_uk_is_refused() -> None:
    with pytest.raises(ValidationError, match=r"longitude 2\.3522 is outside the UK"):
        batch(cameras=[{**A1M, "location": {"latitude": 50.95, "longitude": 2.3522}}])


@pytest.mark.parametrize("vrm", ["AB12IDE", "ab12 cde", "W1234567"])
def test_a_vrm_that_is_not_canonical_and_issuable_is_refused(vrm: str) -> None:
    # producers normalise and explain; a batch carries only canonical marks
    with pytest.raises(ValidationError, match=r"vrms\.0"):
        batch([read(1, vrm=vrm)])


def test_an_unknown_direction_is_refused() -> None:
    with pytest.raises(ValidationError, match="directions"):
        batch([read(1, direction="up")])


def test_directions_travel_as_their_codes_and_read_back_as_directions() -> None:
    sent = batch([read(1, direction="NE"), read(2, direction="away"), read(3, direction=None)])
    assert sent.model_dump(mode="json")["directions"] == ["NE", "away", None]
    assert sent.model_dump()["directions"] == (Direction.NORTH_EAST, Direction.AWAY, None)
    received = VehicleSightingsBatched.model_validate_json(sent.model_dump_json())
    assert received.directions == (Direction.NORTH_EAST, Direction.AWAY, None)
    assert all(type(d) is Direction for d in received.directions[:2])


def test_a_read_id_appears_once_in_a_batch() -> None:
    with pytest.raises(ValidationError, match="read id 'READ-000001' appears twice in the batch"):
        batch([read(1), read(1)])


def test_every_column_holds_one_value_per_read() -> None:
    with pytest.raises(ValidationError, match="every column holds one value per read"):
        batch([read(1), read(2)], lanes=[1])


def test_a_read_names_a_camera_position_the_batch_holds() -> None:
    with pytest.raises(ValidationError, match="camera_index 2 is past the 2 camera"):
        batch([read(1, camera=2)])


def test_a_batch_holds_between_one_and_the_maximum_number_of_reads() -> None:
    full = batch([read(n) for n in range(MAX_SIGHTINGS_PER_BATCH)])
    assert len(full.read_ids) == MAX_SIGHTINGS_PER_BATCH
    with pytest.raises(ValidationError, match="read_ids"):
        batch([read(n) for n in range(MAX_SIGHTINGS_PER_BATCH + 1)])
    with pytest.raises(ValidationError, match="read_ids"):
        batch(**{column: [] for column in COLUMNS})
