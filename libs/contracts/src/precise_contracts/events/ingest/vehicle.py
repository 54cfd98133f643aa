"""ANPR reads, batched. The fields follow what the National ANPR Standards for Policing and Law Enforcement
(NASPLE) and the National ANPR Service technical specifications require of a capture record: a unique read,
the VRM read, when and by which camera (site and lane) it was captured, the direction of travel, the read
confidence, and the plate patch and overview images.

ANPR is the high-volume source (the national service takes ~100 million reads a day), so a batch carries its
reads as columns (ADR 0009): one array per field, the i-th read being the i-th element of each, and every
camera position once, referred to by index. A consumer validates a batch in one pass over a few arrays
rather than building a model per read; `VehicleSightingsBatched.sightings()` gives the reads one at a time.
"""

from __future__ import annotations

from enum import StrEnum
from operator import attrgetter
from typing import Annotated, Any, ClassVar, Self

from pydantic import AwareDatetime, Field, NonNegativeInt, PlainSerializer, StringConstraints, model_validator

from precise_contracts.envelope import Event
from precise_contracts.events.ingest._part import Identifier, Label, Part
from precise_contracts.events.ingest.places import Coordinates
from precise_contracts.events.ingest.source import SourceSystemRef
from precise_contracts.values import CanonicalVrm, Vrm

MAX_SIGHTINGS_PER_BATCH = 1000
# What producers keep a batch's message body under: a Service Bus standard tier message is at most 256 KB. The
# body is the batch's JSON compressed (ADR 0015), about a quarter of it for real reads, so this bounds the frame.
MAX_BATCH_BYTES = 192 * 1024
# What producers keep a batch's JSON under: what a consumer holds of one message once it has decompressed it.
MAX_BATCH_JSON_BYTES = 1024 * 1024


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


# A direction serialised by its value read straight from the member: pydantic's enum serialiser calls `Enum.value`,
# a Python property, for each one (~0.2 us; a batch of reads carries one per read).
_DirectionText = Annotated[Direction, PlainSerializer(attrgetter("_value_"), return_type=str, when_used="json")]
Lane = Annotated[int, Field(ge=1, le=20, description="Lane number at the site, 1 = nearside.")]
Confidence = Annotated[float, Field(ge=0, le=1, allow_inf_nan=False, description="Read confidence, 0 to 1.")]
ImageRef = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=1024),
    Field(description="Where the source keeps an image of the read (its key or URI in the back office store)."),
]


class CameraLocation(Coordinates):
    """Where the camera read the vehicle: the site's coordinates and its name."""

    description: Label | None = Field(
        default=None, description="The site as its operator names it, e.g. 'A1(M) J10 northbound'."
    )


class CameraPosition(Part):
    """A camera as it stood when it made reads: which camera, at which site, where. A fixed camera has one
    position; a mobile one (a van, a trailer) has one per place it is deployed."""

    camera_id: Identifier = Field(description="The camera that made the read.")
    site_id: Identifier | None = Field(default=None, description="The camera site, where the source names one.")
    location: CameraLocation = Field(description="Where the reads were made.")


class VehicleSighting(Part):
    """One ANPR read: a camera saw this VRM at this time and place (a read of a VehicleSightingsBatched)."""

    read_id: Identifier = Field(description="Unique id of the read from the camera or the National ANPR Service.")
    vrm: Vrm = Field(description="The registration mark read from the plate (UK formats only).")
    read_at: AwareDatetime = Field(description="When the camera captured the read, with its UTC offset.")
    camera_id: Identifier = Field(description="The camera that made the read.")
    site_id: Identifier | None = Field(default=None, description="The camera site, where the source names one.")
    lane: Lane | None = Field(default=None, description="Lane number at the site, 1 = nearside.")
    direction: Direction | None = Field(default=None, description="Direction of travel, if the source gives it.")
    location: CameraLocation = Field(description="Where the read was made.")
    confidence: Confidence | None = Field(
        default=None, description="The reader's confidence in the VRM, 0 to 1, if it reports one."
    )
    plate_image: ImageRef | None = Field(default=None, description="The plate patch image, if the source has one.")
    overview_image: ImageRef | None = Field(
        default=None, description="The overview image of the vehicle, if the source has one."
    )
    is_update: bool = Field(
        default=False, description="True when the source sent this read before with other content (a correction)."
    )


def _column(description: str) -> Any:
    return Field(min_length=1, max_length=MAX_SIGHTINGS_PER_BATCH, description=description)


class VehicleSightingsBatched(Event):
    """A batch of ANPR reads was ingested, as columns: the i-th read is the i-th element of every array below
    (`read_ids[i]`, `vrms[i]`, `read_at[i]`, ...), made by the camera position `cameras[camera_index[i]]`."""

    type: ClassVar[str] = "uk.police.precise.ingest.vehicle-sightings-batched.v2"

    batch_id: Identifier = Field(description="Id of the batch, unique per source; the same reads give the same id.")
    source: SourceSystemRef = Field(description="The system the reads came from (anpr, or a legacy export).")
    cameras: tuple[CameraPosition, ...] = _column("Each camera position the reads were made from, once.")
    read_ids: tuple[Identifier, ...] = _column(
        f"Per read: its unique id. 1 to {MAX_SIGHTINGS_PER_BATCH} reads, each id once in the batch."
    )
    vrms: tuple[CanonicalVrm, ...] = _column(
        "Per read: the registration mark read from the plate, upper case without spaces (UK formats only)."
    )
    read_at: tuple[AwareDatetime, ...] = _column("Per read: when the camera captured it, with its UTC offset.")
    camera_index: tuple[NonNegativeInt, ...] = _column("Per read: its camera position, an index into `cameras`.")
    lanes: tuple[Lane | None, ...] = _column("Per read: the lane at the site (1 = nearside), or null.")
    directions: tuple[_DirectionText | None, ...] = _column("Per read: the direction of travel, or null.")
    confidences: tuple[Confidence | None, ...] = _column("Per read: the reader's confidence (0 to 1), or null.")
    plate_images: tuple[ImageRef | None, ...] = _column("Per read: the plate patch image's reference, or null.")
    overview_images: tuple[ImageRef | None, ...] = _column("Per read: the overview image's reference, or null.")
    is_update: tuple[bool, ...] = _column(
        "Per read: true when the source sent this read before with other content and this is its new version."
    )

    @model_validator(mode="after")
    def _columns_line_up(self) -> Self:
        count = len(self.read_ids)
        columns = {name: len(getattr(self, name)) for name in _PER_READ if name != "read_ids"}
        uneven = {name: length for name, length in columns.items() if length != count}
        if uneven:
            raise ValueError(f"every column holds one value per read ({count}); these do not: {uneven}")
        if len(set(self.read_ids)) != count:
            repeated = next(read_id for read_id in self.read_ids if self.read_ids.count(read_id) > 1)
            raise ValueError(f"read id {repeated!r} appears twice in the batch")
        if max(self.camera_index) >= len(self.cameras):
            raise ValueError(f"camera_index {max(self.camera_index)} is past the {len(self.cameras)} camera(s)")
        return self

    def sightings(self) -> tuple[VehicleSighting, ...]:
        """The reads one at a time."""
        return tuple(
            VehicleSighting(
                read_id=read_id,
                vrm=vrm,
                read_at=read_at,
                camera_id=camera.camera_id,
                site_id=camera.site_id,
                lane=lane,
                direction=direction,
                location=camera.location,
                confidence=confidence,
                plate_image=plate,
                overview_image=overview,
                is_update=update,
            )
            for read_id, vrm, read_at, camera, lane, direction, confidence, plate, overview, update in zip(
                self.read_ids,
                self.vrms,
                self.read_at,
                (self.cameras[index] for index in self.camera_index),
                self.lanes,
                self.directions,
                self.confidences,
                self.plate_images,
                self.overview_images,
                self.is_update,
                strict=True,
            )
        )

    def subject(self) -> str:
        return f"{self.source.label()}:{self.batch_id}"


_PER_BATCH = ("batch_id", "source", "cameras")
_PER_READ = tuple(name for name in VehicleSightingsBatched.model_fields if name not in _PER_BATCH)
