"""ANPR reads, batched. The fields follow what the National ANPR Standards for Policing and Law Enforcement
(NASPLE) and the National ANPR Service technical specifications require of a capture record: a unique read,
the VRM read, when and by which camera (site and lane) it was captured, the direction of travel, the read
confidence, and the plate patch and overview images."""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar, Self

from pydantic import AwareDatetime, Field, model_validator

from precise_contracts.envelope import Event
from precise_contracts.events.ingest._part import Identifier, Label, Part
from precise_contracts.events.ingest.places import Coordinates
from precise_contracts.events.ingest.source import BlobRef, SourceSystemRef
from precise_contracts.values import Vrm

# Keeps a full batch under the 256 KB message limit of a Service Bus standard tier (a read is ~0.7 KB of JSON).
MAX_SIGHTINGS_PER_BATCH = 200


class Direction(StrEnum):
    """Direction of travel: a compass heading where the camera site knows it, otherwise towards or away from
    the camera, as a camera that knows only which way its lane runs reports it."""

    NORTH = "N"
    NORTH_EAST = "NE"
    EAST = "E"
    SOUTH_EAST = "SE"
    SOUTH = "S"
    SOUTH_WEST = "SW"
    WEST = "W"
    NORTH_WEST = "NW"
    TOWARDS = "towards"
    AWAY = "away"


class CameraLocation(Coordinates):
    """Where the camera read the vehicle: the site's coordinates and its name."""

    description: Label | None = Field(
        default=None, description="The site as its operator names it, e.g. 'A1(M) J10 northbound'."
    )


class VehicleSighting(Part):
    """One ANPR read: a camera saw this VRM at this time and place."""

    read_id: Identifier = Field(description="Unique id of the read from the camera or the National ANPR Service.")
    vrm: Vrm = Field(description="The registration mark read from the plate (UK formats only).")
    read_at: AwareDatetime = Field(description="When the camera captured the read, with its UTC offset.")
    camera_id: Identifier = Field(description="The camera that made the read.")
    site_id: Identifier | None = Field(default=None, description="The camera site, where the source names one.")
    lane: int | None = Field(default=None, ge=1, le=20, description="Lane number at the site, 1 = nearside.")
    direction: Direction | None = Field(default=None, description="Direction of travel, if the source gives it.")
    location: CameraLocation = Field(description="Where the read was made.")
    confidence: float | None = Field(
        default=None, ge=0, le=1, description="The reader's confidence in the VRM, 0 to 1, if it reports one."
    )
    plate_image: BlobRef | None = Field(default=None, description="The plate patch image, if the source sent it.")
    overview_image: BlobRef | None = Field(
        default=None, description="The overview image of the vehicle, if the source sent it."
    )


class VehicleSightingsBatched(Event):
    """A batch of ANPR reads was ingested. ANPR is high-volume (the national service takes ~100 million reads a
    day), so reads travel in batches rather than one event each."""

    type: ClassVar[str] = "uk.police.precise.ingest.vehicle-sightings-batched.v1"

    batch_id: Identifier = Field(description="Id of the batch, unique per source.")
    source: SourceSystemRef = Field(description="The system the reads came from (anpr, or a legacy export).")
    sightings: tuple[VehicleSighting, ...] = Field(
        min_length=1,
        max_length=MAX_SIGHTINGS_PER_BATCH,
        description=f"The reads, 1 to {MAX_SIGHTINGS_PER_BATCH}, each with a read id unique in the batch.",
    )

    @model_validator(mode="after")
    def _read_ids_unique(self) -> Self:
        seen: set[str] = set()
        for sighting in self.sightings:
            if sighting.read_id in seen:
                raise ValueError(f"read id {sighting.read_id!r} appears twice in the batch")
            seen.add(sighting.read_id)
        return self

    def subject(self) -> str:
        return f"{self.source.label()}:{self.batch_id}"
