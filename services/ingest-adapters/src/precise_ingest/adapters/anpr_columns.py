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
from bisect import bisect_right
from collections.abc import Hashable, Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from itertools import accumulate, repeat
from operator import add, is_, itemgetter, length_hint, methodcaller, mul, ne
from typing import Any, Protocol

from pydantic import TypeAdapter, ValidationError

from precise_contracts.envelope import SerialisedEvent
from precise_contracts.events.ingest import (
    MAX_BATCH_BYTES,
    MAX_BATCH_JSON_BYTES,
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
_INVALID = object()  # a camera position the contract refuses
# What a read adds to a batch's JSON besides its strings (keys are per column, so only values and commas).
_READ_OVERHEAD = 110


class Reference(Protocol):
    """The contract read by read: a VehicleSighting, or a Rejected saying which field is wrong and why."""

    def explain(self, origin: Origin, row: Row) -> VehicleSighting | Rejected: ...


def _table(blank: object, forms: Iterable[tuple[str, object]]) -> dict[object, object]:
    return {blank: None, **dict(forms)}


def _whole(low: int, high: int, scale: float | None = None) -> Iterator[tuple[str, object]]:
    """Each whole number in range, as text, to its value (divided by `scale`)."""
    for number in range(low, high + 1):
        yield str(number), number / scale if scale else number


class ChunkBuilder:
    """Builds one chunk from its records: the rejects as they come, the reads a column at a time."""

    def __init__(self, reference: Reference, blank: str | None, positions: PositionCache) -> None:
        self._reference = reference
        self._blank = blank
        self._positions = positions
        # keyed by text only: True == 1 in a dict, but the contract refuses a boolean lane or confidence
        self._lanes = _table(blank, _whole(1, 20))
        self._directions = _table(blank, ((d.value, d) for d in Direction))
        self._confidences = _table(blank, _whole(0, 100, 100))
        self._blanks: dict[object, object] = {blank: None}
        self.read = 0
        self.rejects: list[Rejected] = []
        self._lines: list[int] = []
        self._raws: list[bytes] = []
        self._rows: list[Row] = []

    def take(self, records: Iterable[tuple[int, bytes, Row | Rejected]]) -> None:
        """The chunk's records of the file (once per builder): each its line, its bytes, and its values in
        FIELDS order or why it cannot be read. Nothing is judged until `build`."""
        add_line, add_raw, add_row = self._lines.append, self._raws.append, self._rows.append
        reject = self.rejects.append
        for line, raw, values in records:
            if isinstance(values, Rejected):
                reject(values)
            else:
                add_line(line)
                add_raw(raw)
                add_row(values)
        self.read = len(self._rows) + len(self.rejects)

    def build(self) -> SightingChunk:
        """Shape and validate the reads a column at a time; the reads that are not in the usual forms go to the
        reference path, which normalises them or rejects them with the contract's reason."""
        if not self._rows:
            return SightingChunk(self.read, self.rejects, [], [[] for _ in range(9)], [], [])
        given: list[Sequence[Any]] = list(zip(*self._rows, strict=True))
        if self._blank is None:  # JSON: numbers and other types are looked up by their text, or not at all
            for index in (LANE_GIVEN, DIRECTION_GIVEN, CONFIDENCE_GIVEN):
                given[index] = [_as_text(value) for value in given[index]]
        unusual: set[int] = set()
        lanes = self._looked_up(self._lanes, given[LANE_GIVEN], unusual)
        directions = self._looked_up(self._directions, given[DIRECTION_GIVEN], unusual)
        confidences = self._looked_up(self._confidences, given[CONFIDENCE_GIVEN], unusual)
        plates = self._looked_up(self._blanks, given[PLATE_GIVEN], unusual, keep=True)
        overviews = self._looked_up(self._blanks, given[OVERVIEW_GIVEN], unusual, keep=True)
        for index in REQUIRED_GIVEN:
            _note_equal(given[index], self._blank, unusual)
        times = _times(given[CAPTURED_GIVEN], unusual)
        positions = self._positions.find(self._blank, *(given[index] for index in POSITION_GIVEN), unusual=unusual)
        columns: list[list[Any]] = [
            list(given[READ_ID_GIVEN]),
            list(given[VRM_GIVEN]),
            times,
            positions,
            lanes,
            directions,
            confidences,
            plates,
            overviews,
        ]
        refused = _validated(columns)
        dropped: set[int] = set()
        for index in sorted(unusual | refused):
            outcome = self._reference.explain(Origin(self._lines[index], self._raws[index]), self._rows[index])
            if isinstance(outcome, Rejected):
                self.rejects.append(outcome)
                dropped.add(index)
            else:
                for column, value in zip(columns, _values_of(outcome), strict=True):
                    column[index] = value
        lines, raws = self._lines, self._raws
        if dropped:
            columns = [_without(column, dropped) for column in columns]
            lines, raws = _without(lines, dropped), _without(raws, dropped)
        if refused:
            _validated(columns)  # what the columns refused is now gone or canonical
        # each camera once, in order of first read; by identity, as cached positions are shared objects
        placed = columns[CAMERA]
        cameras = {id(camera): camera for camera in placed}
        numbered = {key: number for number, key in enumerate(cameras)}
        columns[CAMERA] = list(map(numbered.__getitem__, map(id, placed)))
        return SightingChunk(self.read, self.rejects, list(cameras.values()), columns, lines, raws)

    @staticmethod
    def _looked_up(
        table: dict[object, object], values: Sequence[Any], unusual: set[int], *, keep: bool = False
    ) -> list[Any]:
        """Each value's entry in the table (or, with `keep`, the value itself when the table has none); a value
        the table does not know, or cannot (a JSON list), marks its read unusual."""
        try:
            found = list(map(table.get, values, values if keep else repeat(_UNKNOWN)))
        except TypeError:  # unhashable: a JSON list or object where text belongs
            found = [table.get(v, v if keep else _UNKNOWN) if isinstance(v, Hashable) else _UNKNOWN for v in values]
        _note_identical(found, _UNKNOWN, unusual)
        return found


# The given values of a read, in FIELDS order, and what the chunk's columns hold for it (VALUES order).
(
    READ_ID_GIVEN,
    VRM_GIVEN,
    CAPTURED_GIVEN,
    CAMERA_ID_GIVEN,
    SITE_ID_GIVEN,
    SITE_NAME_GIVEN,
    LATITUDE_GIVEN,
    LONGITUDE_GIVEN,
    LANE_GIVEN,
    DIRECTION_GIVEN,
    CONFIDENCE_GIVEN,
    PLATE_GIVEN,
    OVERVIEW_GIVEN,
) = range(len(FIELDS))
REQUIRED_GIVEN = (READ_ID_GIVEN, VRM_GIVEN, CAMERA_ID_GIVEN, LATITUDE_GIVEN, LONGITUDE_GIVEN)
POSITION_GIVEN = (CAMERA_ID_GIVEN, SITE_ID_GIVEN, SITE_NAME_GIVEN, LATITUDE_GIVEN, LONGITUDE_GIVEN)
READ_ID, VRM, READ_AT, CAMERA, LANE, DIRECTION, CONFIDENCE, PLATE, OVERVIEW = range(9)
_CHECKED = ((READ_ID, _IDS), (VRM, _VRMS), (PLATE, _IMAGES), (OVERVIEW, _IMAGES))


def _as_text(value: object) -> object:
    """A JSON value as the text a CSV file would give for it: whole numbers as digits; None stays None, and
    anything else (a boolean, a list) becomes a value no table knows."""
    if value is None or type(value) is str:
        return value
    return str(value) if type(value) is int else _UNKNOWN


def _note_equal(values: Sequence[Any], marker: object, unusual: set[int]) -> None:
    """Mark unusual the reads whose value equals the marker (a blank)."""
    if marker in values:
        unusual.update(index for index, value in enumerate(values) if value == marker)


def _note_identical(values: Sequence[Any], marker: object, unusual: set[int]) -> None:
    """Mark unusual the reads whose value is the marker (by identity: a model's == is Python code, slow here)."""
    if any(map(is_, values, repeat(marker))):
        unusual.update(index for index, value in enumerate(values) if value is marker)


def _times(values: Sequence[Any], unusual: set[int]) -> list[Any]:
    """ISO 8601 date-times with a UTC offset; others (absent, unparsable, no offset) mark their read unusual."""
    try:
        times: list[Any] = list(map(datetime.fromisoformat, values))
    except (ValueError, TypeError):
        times = [_parsed_time(value) for value in values]
    _note_identical(list(map(_tzinfo, times)), None, unusual)
    return times


def _parsed_time(value: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(value)
    except (ValueError, TypeError):
        return None


def _tzinfo(value: datetime | None) -> object:
    return None if value is None else value.tzinfo


def _validated(columns: list[list[Any]]) -> set[int]:
    """Validate the text columns in place with the contract's types; the positions of the values refused."""
    refused: set[int] = set()
    for position, adapter in _CHECKED:
        try:
            columns[position] = adapter.validate_python(columns[position])
        except ValidationError as error:
            refused.update(_indices_in(error))
    return refused


def _without(values: list[Any], dropped: set[int]) -> list[Any]:
    return [value for index, value in enumerate(values) if index not in dropped]


def _values_of(sighting: VehicleSighting) -> tuple[Any, ...]:
    return (
        sighting.read_id,
        sighting.vrm,
        sighting.read_at,
        Placed(CameraPosition(camera_id=sighting.camera_id, site_id=sighting.site_id, location=sighting.location)),
        sighting.lane,
        sighting.direction,
        sighting.confidence,
        sighting.plate_image,
        sighting.overview_image,
    )


def _indices_in(error: ValidationError) -> set[int]:
    """Which elements of a validated list the error is about."""
    return {index for detail in error.errors(include_url=False) if isinstance(index := detail["loc"][0], int)}


class PositionCache:
    """Camera positions by the values a file gave for them, kept across a file's chunks: a camera makes
    thousands of reads, and its position is validated once."""

    def __init__(self) -> None:
        self._known: dict[Hashable, object] = {}

    def find(self, blank: object, *given: Sequence[Any], unusual: set[int]) -> list[Any]:
        """The position of each read from its camera id, site id, site name, latitude and longitude; a read
        whose position the contract refuses is marked unusual (the reference path names the field at fault)."""
        keys = list(zip(*given, strict=True))
        known = self._known
        try:
            found = list(map(known.get, keys, repeat(_UNKNOWN)))
        except TypeError:  # a JSON list or object where text or a number belongs
            found = [known.get(key, _UNKNOWN) if _hashable(key) else _INVALID for key in keys]
        if any(map(is_, found, repeat(_UNKNOWN))):
            if len(known) >= _MAX_CACHED_POSITIONS:
                known.clear()
            for index, key in enumerate(keys):
                if found[index] is _UNKNOWN:  # the camera's first read in the file, or a later one in this chunk
                    position = known.get(key, _UNKNOWN)
                    if position is _UNKNOWN:
                        position = known[key] = _position(blank, *key)
                    found[index] = position
        _note_identical(found, _INVALID, unusual)
        return found


def _position(blank: object, camera_id: Any, site_id: Any, site_name: Any, latitude: Any, longitude: Any) -> object:
    try:
        return Placed(
            CameraPosition(
                camera_id=camera_id,
                site_id=None if site_id == blank else site_id,
                location=CameraLocation(
                    latitude=latitude, longitude=longitude, description=None if site_name == blank else site_name
                ),
            )
        )
    except ValidationError:
        return _INVALID


class Placed:
    """A camera position with what a batch needs of it, worked out once: the length of its JSON (what it adds
    to a batch) and the SHA-256 of that JSON (what stands for it in the content hash of each of its reads)."""

    __slots__ = ("digest", "position", "size")

    def __init__(self, position: CameraPosition) -> None:
        canonical = position.__pydantic_serializer__.to_json(position)
        self.position = position
        self.size = len(canonical)
        self.digest = hashlib.sha256(canonical).hexdigest()


def _hashable(key: tuple[Any, ...]) -> bool:
    try:
        hash(key)
    except TypeError:
        return False
    return True


_SEPARATOR = "\x1f"  # ASCII unit separator
_SEPARATORS = 8  # between the nine values of a read's canonical text
_HEXDIGEST = type(hashlib.sha256()).hexdigest
_LANE_TEXT: dict[int | None, str] = {None: "", **{lane: str(lane) for lane in range(1, 21)}}
_CONFIDENCE_TEXT: dict[float | None, str] = {None: "", **{percent / 100: repr(percent / 100) for percent in range(101)}}


def _content_hashes(cameras: list[Placed], columns: list[list[Any]]) -> list[str]:
    """The content hash of each read: SHA-256 over its canonical values joined by a unit separator. The time as
    its instant (repr of a POSIX timestamp is exact to the microsecond until 2106), so the same read written
    with another UTC offset is the same read; the camera by the digest of its position's JSON. Built a column at
    a time: about 2 us a read, a third of it the time's repr and a third SHA-256."""
    read_ids, vrms, read_at, placed, lanes, directions, confidences, plates, overviews = columns
    values = (
        read_ids,
        vrms,
        list(map(repr, map(datetime.timestamp, read_at))),
        list(map([camera.digest for camera in cameras].__getitem__, placed)),
        list(map(_LANE_TEXT.__getitem__, lanes)),
        [direction or "" for direction in directions],
        list(map(_CONFIDENCE_TEXT.__getitem__, confidences)),
        [plate or "" for plate in plates],
        [overview or "" for overview in overviews],
    )
    texts = list(map(_SEPARATOR.join, zip(*values, strict=True)))
    # only the image references are free text (a read id holds no control character: the contract refuses it):
    # where one holds the separator (its text then holds more than eight), the repr of its values (which escapes
    # it) is hashed instead, so two different reads never give the same text
    if any(_SEPARATOR in "".join(column) for column in (values[7], values[8])):
        for index, separators in enumerate(map(methodcaller("count", _SEPARATOR), texts)):
            if separators != _SEPARATORS:
                texts[index] = repr(tuple(column[index] for column in values))
    return list(map(_HEXDIGEST, map(hashlib.sha256, map(str.encode, texts))))


class SightingChunk:
    """A chunk of ANPR reads, validated and hashed: published as VehicleSightingsBatched events."""

    def __init__(
        self,
        read: int,
        rejects: list[Rejected],
        cameras: list[Placed],
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
        self.digests = _content_hashes(cameras, columns)

    def publish(self, verdicts: Sequence[Seen]) -> Publication:
        duplicate, update = Seen.DUPLICATE, Seen.UPDATE  # an enum member looked up per read is a descriptor call
        order = (
            [index for index, verdict in enumerate(verdicts) if verdict is not duplicate]
            if duplicate in verdicts
            else list(range(len(verdicts)))
        )
        once = len(set(self.record_ids)) == len(self.record_ids)
        if once:
            # no read's meaning depends on another's place, so each camera's reads go together (in file order,
            # the sort being stable) and a batch names a few dozen cameras rather than hundreds (ADR 0013); where
            # a read comes twice, the file's order is kept, so its later version stays the update
            order.sort(key=self._columns[CAMERA].__getitem__)
        columns = _in_order(self._columns, order)
        updated = [verdicts[index] is update for index in order] if update in verdicts else None
        events: list[SerialisedEvent] = []
        published: list[int] = []
        rejects: list[Rejected] = []
        sizes = [camera.size for camera in self._cameras]
        if once and _any_batch_fits(self._columns, sizes):  # usual reads: none needs counting
            runs: Iterable[tuple[int, int]] = _every(MAX_SIGHTINGS_PER_BATCH, len(order))
        else:
            runs = _runs(columns, sizes, once=once)
        for start, end in runs:
            try:
                fitted = list(self._fitted(columns, start, end, updated))
            except Exception:
                log.warning("a batch of %d reads could not be built; one by one instead", end - start, exc_info=True)
            else:
                for part, event in fitted:
                    events.append(event)
                    published.extend(order[part.start : part.stop])
                continue
            for position in range(start, end):
                index = order[position]
                try:
                    events.append(SerialisedEvent.of(self._batch(columns, position, position + 1, updated)))
                except Exception as exc:
                    origin = Origin(self._lines[index], self._raws[index])
                    rejects.append(Rejected(origin, f"could not be processed: {type(exc).__name__}: {exc}"))
                else:
                    published.append(index)
        return Publication(events, published, rejects)

    def _fitted(
        self, columns: list[list[Any]], start: int, end: int, updated: list[bool] | None
    ) -> Iterator[tuple[range, SerialisedEvent]]:
        """The reads from `start` to `end` as events whose bodies fit a message, each with its reads' positions:
        one event, unless its JSON compresses too little (image references of random text, say), when the reads
        are halved until each half fits."""
        event = SerialisedEvent.of(self._batch(columns, start, end, updated))
        if len(event.data) <= MAX_BATCH_BYTES or end - start == 1:
            yield range(start, end), event
            return
        middle = (start + end) // 2
        yield from self._fitted(columns, start, middle, updated)
        yield from self._fitted(columns, middle, end, updated)

    def _batch(
        self, columns: list[list[Any]], start: int, end: int, updated: list[bool] | None
    ) -> VehicleSightingsBatched:
        """The reads from `start` to `end` of the columns in publishing order, as one event."""
        read_ids = tuple(columns[READ_ID][start:end])
        # the batch id derives from its reads, so publishing the same reads again gives the same id
        batch_id = hashlib.sha256("\n".join(read_ids).encode()).hexdigest()
        placed = columns[CAMERA][start:end]
        local = {camera: number for number, camera in enumerate(dict.fromkeys(placed))}
        # Not validated again: every value is already the contract's type, validated a column at a time by
        # `build`, and `_runs` keeps each read id once per batch; validating 1,000 reads again would cost the
        # reader, the bottleneck of ANPR ingest, a microsecond a read (a test validates what it builds).
        return VehicleSightingsBatched.model_construct(
            batch_id=batch_id,
            source=_SOURCE,
            read_ids=read_ids,
            camera_index=tuple(map(local.__getitem__, placed)),
            cameras=tuple(self._cameras[camera].position for camera in local),
            vrms=tuple(columns[VRM][start:end]),
            read_at=tuple(columns[READ_AT][start:end]),
            lanes=tuple(columns[LANE][start:end]),
            directions=tuple(columns[DIRECTION][start:end]),
            confidences=tuple(columns[CONFIDENCE][start:end]),
            plate_images=tuple(columns[PLATE][start:end]),
            overview_images=tuple(columns[OVERVIEW][start:end]),
            is_update=tuple(updated[start:end]) if updated else (False,) * (end - start),
        )


def _runs(columns: list[list[Any]], camera_sizes: list[int], *, once: bool) -> Iterator[tuple[int, int]]:
    """The reads to publish (columns in publishing order), cut into batches under the contract's count and the
    JSON size budget, as (start, end) positions (`_fitted` then sees that each batch's body fits a message). A
    read counts its camera's position where its camera differs from the read before's: exact when each camera's
    reads are together, never under where they are not. A read id may appear once per batch, so a second version
    of a read starts the next batch."""
    read_ids, cameras = columns[READ_ID], columns[CAMERA]
    count = len(read_ids)
    changed = [True, *map(ne, cameras[1:], cameras)]
    plates = [len(plate) if plate else 0 for plate in columns[PLATE]]
    overviews = [len(overview) if overview else 0 for overview in columns[OVERVIEW]]
    texts = map(add, map(len, read_ids), map(add, plates, overviews))
    positions = map(mul, map(camera_sizes.__getitem__, cameras), changed)
    total = list(accumulate(map(add, map(add, texts, positions), repeat(_READ_OVERHEAD)), initial=0))
    again = [] if once else _second_versions(read_ids)
    start = 0
    while start < count:
        # a batch starting within a camera's reads names that camera too
        budget = MAX_BATCH_JSON_BYTES - (0 if changed[start] else camera_sizes[cameras[start]])
        end = min(bisect_right(total, total[start] + budget) - 1, start + MAX_SIGHTINGS_PER_BATCH, count)
        end = min((position for position, first in again if start < position < end and first >= start), default=end)
        end = max(end, start + 1)  # a read bigger than the budget alone still goes, in a batch of its own
        yield start, end
        start = end


def _any_batch_fits(columns: list[list[Any]], camera_sizes: list[int]) -> bool:
    """Whether the contract's count of the longest of these reads, with every camera of the chunk, stays under the
    JSON budget, so that batches of that count need no sums. Given the columns in file order, as their values lie
    in memory: in publishing order every value is a cache miss on its own (~150 ns, against ~35)."""
    if not columns[READ_ID]:
        return True
    # length_hint: a reference's length, and 0 for none
    longest = sum(max(map(length_hint, columns[column])) for column in (READ_ID, PLATE, OVERVIEW)) + _READ_OVERHEAD
    return longest * MAX_SIGHTINGS_PER_BATCH + sum(camera_sizes) <= MAX_BATCH_JSON_BYTES


def _every(size: int, count: int) -> Iterator[tuple[int, int]]:
    """Batches of `size` positions, the last one what is left, as (start, end)."""
    for start in range(0, count, size):
        yield start, min(start + size, count)


def _in_order(columns: list[list[Any]], order: list[int]) -> list[list[Any]]:
    """The values of the reads at these positions, in this order."""
    if order == list(range(len(columns[READ_ID]))):
        return columns
    if len(order) < 2:  # an itemgetter of one position gives the value, not a tuple of it
        return [[column[index] for index in order] for column in columns]
    pick = itemgetter(*order)
    return [list(pick(column)) for column in columns]


def _second_versions(read_ids: list[str]) -> list[tuple[int, int]]:
    """Each read that repeats an earlier read's id, as (its position, the earlier one's)."""
    seen: dict[str, int] = {}
    again: list[tuple[int, int]] = []
    for position, read_id in enumerate(read_ids):
        earlier = seen.get(read_id)
        if earlier is not None:
            again.append((position, earlier))
        seen[read_id] = position
    return again


def row_of(read: Mapping[str, Any]) -> Row:
    """A read given by field name (a JSON line) as a row in FIELDS order."""
    return tuple(read.get(name) for name in FIELDS)
