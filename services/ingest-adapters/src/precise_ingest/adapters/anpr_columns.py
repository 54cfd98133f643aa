"""A chunk of ANPR reads as columns: how the adapter turns reads into VehicleSightingsBatched events without
building an object per read (ADR 0009).

Per read, only what must be done per read: the time parsed by `datetime.fromisoformat`, the lane, direction
and confidence looked up in tables of their usual forms, the camera position found in a cache (a camera
makes thousands of reads), and the content hash. Read ids, VRMs and image references are then validated a
column at a time by the contract's own types, in pydantic-core. A read these fast steps cannot take as it
stands goes to the reference path (`Reference`): the `VehicleSighting` contract read by read, which
normalises what can be normalised and explains what cannot, so rejects keep the contract's reasons and
nothing the contract accepts is refused.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Hashable, Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol

from pydantic import TypeAdapter, ValidationError

from precise_contracts.envelope import Event
from precise_contracts.events.ingest import (
    MAX_BATCH_BYTES,
    MAX_SIGHTINGS_PER_BATCH,
    CameraLocation,
    CameraPosition,
    Direction,
    SourceSystem,
    SourceSystemRef,
    VehicleSighting,
    VehicleSightingsBatched,
)
from precise_contracts.events.ingest._part import Identifier
from precise_contracts.events.ingest.vehicle import ImageRef
from precise_contracts.formats import ANPR_READ_FIELDS
from precise_contracts.values import CanonicalVrm
from precise_ingest.adapters.port import Origin, Publication, Rejected
from precise_ingest.fingerprint import Seen

log = logging.getLogger(__name__)

FIELDS = ANPR_READ_FIELDS
Row = tuple[Any, ...]  # one read's values in FIELDS order, as the file gave them
_SOURCE = SourceSystemRef(system=SourceSystem.ANPR)
_IDS = TypeAdapter(list[Identifier])
_VRMS = TypeAdapter(list[CanonicalVrm])  # what is not yet canonical, the reference path normalises
_IMAGES = TypeAdapter(list[ImageRef | None])
_MAX_CACHED_POSITIONS = 10_000  # a country's camera sites; a file of made-up coordinates cannot grow it further
_UNKNOWN = object()  # not in a lookup table: the reference path decides
_LOOKUP_TYPES = (str, int, type(None))
# What a read adds to a batch's JSON besides its strings (keys are per column, so only values and commas).
_READ_OVERHEAD = 110


class Reference(Protocol):
    """The contract read by read: a VehicleSighting, or a Rejected saying which field is wrong and why."""

    def explain(self, origin: Origin, row: Row) -> VehicleSighting | Rejected: ...


def _table(blank: object, forms: Iterable[tuple[object, object]]) -> dict[object, object]:
    return {blank: None, **dict(forms)}


def _whole(low: int, high: int, scale: float | None = None) -> Iterator[tuple[object, object]]:
    """Each whole number in range, as text and as a JSON integer, to its value (divided by `scale`)."""
    for number in range(low, high + 1):
        value = number / scale if scale else number
        yield str(number), value
        yield number, value


class ChunkBuilder:
    """Collects one chunk's reads (fast path or reference) and rejects, then validates and hashes them."""

    def __init__(self, reference: Reference, blank: str | None, positions: PositionCache) -> None:
        self._reference = reference
        self._blank = blank
        self._positions = positions
        self._lanes = _table(blank, _whole(1, 20))
        self._directions = _table(blank, ((d.value, d) for d in Direction))
        self._confidences = _table(blank, _whole(0, 100, 100))
        self.read = 0
        self.rejects: list[Rejected] = []
        self._cameras = _Cameras()
        # per accepted read: where it is in the file, the row as given, and its values (VALUES order)
        self._lines: list[int] = []
        self._raws: list[bytes] = []
        self._rows: list[Row] = []
        self._values: list[tuple[Any, ...]] = []

    def reject(self, rejected: Rejected) -> None:
        self.read += 1
        self.rejects.append(rejected)

    def add(self, line: int, raw: bytes, row: Row) -> None:
        """One read as the file gave it (values in FIELDS order)."""
        self.read += 1
        values = self._fast(row)
        if values is None:
            outcome = self._reference.explain(Origin(line, raw), row)
            if isinstance(outcome, Rejected):
                self.rejects.append(outcome)
                return
            values = self._values_of(outcome)
        self._lines.append(line)
        self._raws.append(raw)
        self._rows.append(row)
        self._values.append(values)

    def build(self) -> SightingChunk:
        """Validate the text columns with the contract's types; reads they refuse go to the reference."""
        columns = _transposed(self._values)
        refused: set[int] = set()
        for position, adapter in _CHECKED:
            try:
                columns[position] = adapter.validate_python(columns[position])
            except ValidationError as error:
                refused.update(_indices_in(error))
        if refused:
            kept: list[int] = []
            for index in range(len(self._values)):
                if index not in refused:
                    kept.append(index)
                    continue
                outcome = self._reference.explain(Origin(self._lines[index], self._raws[index]), self._rows[index])
                if isinstance(outcome, Rejected):
                    self.rejects.append(outcome)
                else:
                    self._values[index] = self._values_of(outcome)
                    kept.append(index)
            self._lines = [self._lines[index] for index in kept]
            self._raws = [self._raws[index] for index in kept]
            columns = _transposed([self._values[index] for index in kept])
            for position, adapter in _CHECKED:  # what the columns refused is now gone or canonical
                columns[position] = adapter.validate_python(columns[position])
        return SightingChunk(self.read, self.rejects, self._cameras, columns, self._lines, self._raws)

    def _fast(self, row: Row) -> tuple[Any, ...] | None:
        """The read's values if it is in the usual forms, else None (the reference path judges it)."""
        read_id, vrm, captured, camera_id, site_id, site_name, latitude, longitude, lane, direction, confidence = row[
            :11
        ]
        if not (read_id and vrm and camera_id and latitude and longitude) or type(captured) is not str:
            return None
        # exact types only: True == 1 in a dict, but the contract refuses a boolean lane or confidence
        lane = self._lanes.get(lane, _UNKNOWN) if type(lane) in _LOOKUP_TYPES else _UNKNOWN
        confidence = self._confidences.get(confidence, _UNKNOWN) if type(confidence) in _LOOKUP_TYPES else _UNKNOWN
        direction = self._directions.get(direction, _UNKNOWN) if type(direction) in _LOOKUP_TYPES else _UNKNOWN
        if lane is _UNKNOWN or confidence is _UNKNOWN or direction is _UNKNOWN:
            return None
        try:
            read_at = datetime.fromisoformat(captured)
        except ValueError:
            return None
        position = self._positions.get(self._blank, camera_id, site_id, site_name, latitude, longitude)
        if position is None or read_at.tzinfo is None:
            return None
        blank, plate, overview = self._blank, row[11], row[12]
        return (
            read_id,
            vrm,
            read_at,
            self._cameras.index(position),
            lane,
            direction,
            confidence,
            None if plate == blank else plate,
            None if overview == blank else overview,
        )

    def _values_of(self, sighting: VehicleSighting) -> tuple[Any, ...]:
        position = CameraPosition(camera_id=sighting.camera_id, site_id=sighting.site_id, location=sighting.location)
        return (
            sighting.read_id,
            sighting.vrm,
            sighting.read_at,
            self._cameras.index(position),
            sighting.lane,
            sighting.direction,
            sighting.confidence,
            sighting.plate_image,
            sighting.overview_image,
        )


# The values of a read, in this order (VALUES), and the text columns validated a column at a time.
READ_ID, VRM, READ_AT, CAMERA, LANE, DIRECTION, CONFIDENCE, PLATE, OVERVIEW = range(9)
_CHECKED = ((READ_ID, _IDS), (VRM, _VRMS), (PLATE, _IMAGES), (OVERVIEW, _IMAGES))


def _transposed(values: list[tuple[Any, ...]]) -> list[list[Any]]:
    return [list(column) for column in zip(*values, strict=True)] if values else [[] for _ in range(9)]


def _indices_in(error: ValidationError) -> set[int]:
    """Which elements of a validated list the error is about."""
    return {index for detail in error.errors(include_url=False) if isinstance(index := detail["loc"][0], int)}


class PositionCache:
    """Camera positions by the values a file gave for them, kept across a file's chunks: a camera makes
    thousands of reads, and its position is validated once."""

    def __init__(self) -> None:
        self._known: dict[Hashable, CameraPosition | None] = {}

    def get(
        self, blank: object, camera_id: Any, site_id: Any, site_name: Any, latitude: Any, longitude: Any
    ) -> CameraPosition | None:
        """The position, or None if the contract refuses it (the reference path names the field at fault)."""
        # keyed by type as well as value: True == 1 in Python, but pydantic judges them differently
        key = (camera_id, site_id, site_name, type(latitude), latitude, type(longitude), longitude)
        try:
            return self._known[key]
        except KeyError:
            pass
        except TypeError:  # a JSON list or object where text or a number belongs
            return None
        if len(self._known) >= _MAX_CACHED_POSITIONS:
            self._known.clear()
        try:
            position: CameraPosition | None = CameraPosition(
                camera_id=camera_id,
                site_id=None if site_id == blank else site_id,
                location=CameraLocation(
                    latitude=latitude, longitude=longitude, description=None if site_name == blank else site_name
                ),
            )
        except ValidationError:
            position = None
        self._known[key] = position
        return position


class _Cameras:
    """A chunk's camera positions, each once, with its canonical JSON (part of each read's content hash)."""

    def __init__(self) -> None:
        self.positions: list[CameraPosition] = []
        self.keys: list[str] = []
        self._index: dict[int, int] = {}  # id of a cached position -> its index, without hashing its fields
        self._by_value: dict[CameraPosition, int] = {}

    def index(self, position: CameraPosition) -> int:
        found = self._index.get(id(position))
        if found is not None and self.positions[found] is position:
            return found
        found = self._by_value.get(position)
        if found is None:
            found = len(self.positions)
            self.positions.append(position)
            self.keys.append(position.model_dump_json())
            self._by_value[position] = found
        self._index[id(position)] = found
        return found


def _digest(parts: tuple[str, ...]) -> str:
    """SHA-256 of the read's canonical values. Joined on the unit separator, unless a value holds one: then
    their repr, which escapes it, so two different reads never give the same text."""
    text = "\x1f".join(parts)
    if text.count("\x1f") != len(parts) - 1:
        text = repr(parts)
    return hashlib.sha256(text.encode()).hexdigest()


class SightingChunk:
    """A chunk of ANPR reads, validated and hashed: published as VehicleSightingsBatched events."""

    def __init__(
        self,
        read: int,
        rejects: list[Rejected],
        cameras: _Cameras,
        columns: list[list[Any]],
        lines: list[int],
        raws: list[bytes],
    ) -> None:
        self.read = read
        self.rejects = rejects
        self.record_ids: list[str] = columns[READ_ID]
        self._cameras = cameras
        self._columns = columns
        self._lines = lines
        self._raws = raws
        keys = cameras.keys
        self.digests = [
            _digest(
                (
                    read_id,
                    vrm,
                    read_at.isoformat(),
                    keys[camera],
                    "" if lane is None else str(lane),
                    direction or "",
                    "" if confidence is None else repr(confidence),
                    plate or "",
                    overview or "",
                )
            )
            for read_id, vrm, read_at, camera, lane, direction, confidence, plate, overview in zip(
                *columns, strict=True
            )
        ]

    def publish(self, verdicts: Sequence[Seen]) -> Publication:
        kept = [index for index, verdict in enumerate(verdicts) if verdict is not Seen.DUPLICATE]
        updates = {index for index, verdict in enumerate(verdicts) if verdict is Seen.UPDATE}
        events: list[Event] = []
        published: list[int] = []
        rejects: list[Rejected] = []
        for run in self._runs(kept):
            try:
                events.append(self._batch(run, updates))
            except Exception:
                log.warning("a batch of %d reads could not be built; building them one by one", len(run), exc_info=True)
            else:
                published.extend(run)
                continue
            for index in run:
                try:
                    events.append(self._batch([index], updates))
                except Exception as exc:
                    origin = Origin(self._lines[index], self._raws[index])
                    rejects.append(Rejected(origin, f"could not be processed: {type(exc).__name__}: {exc}"))
                else:
                    published.append(index)
        return Publication(events, published, rejects)

    def _runs(self, kept: list[int]) -> Iterator[list[int]]:
        """The reads to publish, cut into batches under the contract's count and the message size budget; a
        read id may appear once per batch, so a second version of a read starts the next batch."""
        read_ids, cameras = self.record_ids, self._columns[CAMERA]
        plates, overviews, keys = self._columns[PLATE], self._columns[OVERVIEW], self._cameras.keys
        run: list[int] = []
        ids: set[str] = set()
        used: set[int] = set()
        size = 0
        for index in kept:
            read_id, camera = read_ids[index], cameras[index]
            cost = _READ_OVERHEAD + len(read_id) + len(plates[index] or "") + len(overviews[index] or "")
            if run and (len(run) == MAX_SIGHTINGS_PER_BATCH or size + cost > MAX_BATCH_BYTES or read_id in ids):
                yield run
                run, ids, used, size = [], set(), set(), 0
            if camera not in used:
                used.add(camera)
                size += len(keys[camera])
            run.append(index)
            ids.add(read_id)
            size += cost
        if run:
            yield run

    def _batch(self, run: list[int], updates: set[int]) -> VehicleSightingsBatched:
        columns = self._columns
        local: dict[int, int] = {}
        read_ids = [columns[READ_ID][index] for index in run]
        # the batch id derives from its reads, so publishing the same reads again gives the same id
        batch_id = hashlib.sha256("\n".join(read_ids).encode()).hexdigest()
        camera_index = tuple(local.setdefault(columns[CAMERA][index], len(local)) for index in run)
        return VehicleSightingsBatched(
            batch_id=batch_id,
            source=_SOURCE,
            read_ids=tuple(read_ids),
            camera_index=camera_index,
            cameras=tuple(self._cameras.positions[camera] for camera in local),
            vrms=_pick(columns[VRM], run),
            read_at=_pick(columns[READ_AT], run),
            lanes=_pick(columns[LANE], run),
            directions=_pick(columns[DIRECTION], run),
            confidences=_pick(columns[CONFIDENCE], run),
            plate_images=_pick(columns[PLATE], run),
            overview_images=_pick(columns[OVERVIEW], run),
            is_update=tuple(index in updates for index in run),
        )


def _pick(column: Sequence[Any], run: Sequence[int]) -> tuple[Any, ...]:
    return tuple(column[index] for index in run)


def row_of(read: Mapping[str, Any]) -> Row:
    """A read given by field name (a JSON line) as a row in FIELDS order."""
    return tuple(read.get(name) for name in FIELDS)
