"""ANPR reads (docs/formats/anpr-reads.md): CSV or JSON lines in, one VehicleSighting per read, published in
VehicleSightingsBatched events of up to MAX_SIGHTINGS_PER_BATCH reads.

Which encoding: the `format` option ("csv" or "jsonl") when the upload gives one; otherwise the content
decides: a file whose first non-blank line starts with "{" is JSON lines, anything else is CSV with a header.

Speed: ANPR is the high-volume source, so reads are validated in chunks by one TypeAdapter call over a list
(one trip into pydantic-core per chunk, not per read), and the camera location, which repeats for every read
a camera makes, is validated once per camera and shared (the models are frozen). Validation is still the
contract's own: every read goes through VehicleSighting's validators and every location through
CameraLocation's, so nothing the contract would refuse gets through.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Hashable, Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from itertools import chain
from typing import Any, BinaryIO

from pydantic import TypeAdapter, ValidationError

from precise_contracts.envelope import Event
from precise_contracts.events.ingest import (
    MAX_SIGHTINGS_PER_BATCH,
    CameraLocation,
    SourceSystem,
    SourceSystemRef,
    VehicleSighting,
    VehicleSightingsBatched,
)
from precise_contracts.formats import ANPR_READ_FIELDS
from precise_ingest.adapters.csv_lines import csv_records
from precise_ingest.adapters.port import FileUnreadable, Origin, Outcome, Parsed, Rejected

FIELDS = ANPR_READ_FIELDS
REQUIRED = ("read_id", "vrm", "capture_time", "camera_id", "latitude", "longitude")
FORMATS = ("csv", "jsonl")
CHUNK_SIZE = 512  # reads per validation call: large enough to amortise the call, small enough to stream
_MAX_CACHED_LOCATIONS = 10_000  # a country's camera sites; a file of made-up coordinates cannot grow it further
_BOM = b"\xef\xbb\xbf"
_SOURCE = SourceSystemRef(system=SourceSystem.ANPR)
# The contract's field names where the file's differ, to name the field at fault in the file's terms.
_FILE_FIELD = {"read_at": "capture_time"}
_LOCATION_FILE_FIELD = {"latitude": "latitude", "longitude": "longitude", "description": "site_name"}
_SIGHTINGS = TypeAdapter(list[VehicleSighting])

Read = Mapping[str, Any]  # one read as the file gave it: field name -> value


class AnprAdapter:
    """Reads ANPR exports; `options["format"]` may name the encoding ("csv" or "jsonl")."""

    source = "anpr"

    def read(self, data: BinaryIO, *, options: Mapping[str, Any]) -> Iterator[Outcome]:
        declared = options.get("format")
        if declared is not None and declared not in FORMATS:
            raise FileUnreadable(f"ANPR format {declared!r} is not one of {', '.join(FORMATS)}")
        lines, encoding = _sniff(iter(data), declared)
        if encoding == "jsonl":
            return _outcomes(_json_lines(lines), blank=None)
        return _outcomes(_csv_reads(lines), blank="")

    def events(self, accepted: Iterable[Parsed]) -> Iterator[Event]:
        batch: list[VehicleSighting] = []
        read_ids: set[str] = set()
        for parsed in accepted:
            sighting = parsed.record
            if not isinstance(sighting, VehicleSighting):
                raise TypeError(f"the anpr adapter batches VehicleSightings, not {type(sighting).__name__}")
            # A read id may appear once per batch: a second version of a read starts the next batch.
            if len(batch) == MAX_SIGHTINGS_PER_BATCH or sighting.read_id in read_ids:
                yield _batched(batch)
                batch, read_ids = [], set()
            batch.append(sighting)
            read_ids.add(sighting.read_id)
        if batch:
            yield _batched(batch)


def iter_sightings_json(reads: Sequence[object]) -> Iterator[Outcome]:
    """Outcomes for the reads of a JSON batch body (`{"reads": [...]}`), in order: each read's origin is its
    position (1-based) and its bytes are the read as compact JSON."""

    def items() -> Iterator[tuple[Origin, Read | Rejected]]:
        for line, read in enumerate(reads, start=1):
            origin = Origin(line, json.dumps(read, separators=(",", ":"), ensure_ascii=False).encode())
            if isinstance(read, dict):
                yield origin, read
            else:
                yield origin, Rejected(origin, "a read is a JSON object of the fields of an ANPR read")

    return _outcomes(items(), blank=None)


def _batched(sightings: list[VehicleSighting]) -> VehicleSightingsBatched:
    # The batch id derives from its reads, so publishing the same reads again gives the same id.
    batch_id = hashlib.sha256("\n".join(s.read_id for s in sightings).encode()).hexdigest()
    return VehicleSightingsBatched(batch_id=batch_id, source=_SOURCE, sightings=tuple(sightings))


def _sniff(lines: Iterator[bytes], declared: str | None) -> tuple[Iterator[bytes], str]:
    """The file's lines (BOM removed) and its encoding, declared or judged from the first non-blank line."""
    seen: list[bytes] = []
    for line in lines:
        if not seen and line.startswith(_BOM):
            line = line[len(_BOM) :]
        seen.append(line)
        if line.strip():
            encoding = declared or ("jsonl" if line.lstrip().startswith(b"{") else "csv")
            return chain(seen, lines), encoding
    raise FileUnreadable("the file holds no ANPR reads: it is empty")


def _json_lines(lines: Iterable[bytes]) -> Iterator[tuple[Origin, Read | Rejected]]:
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        origin = Origin(number, raw)
        try:
            read = json.loads(raw)
        except UnicodeDecodeError:
            yield origin, Rejected(origin, "the line is not UTF-8")
            continue
        except json.JSONDecodeError as error:
            yield origin, Rejected(origin, f"the line is not JSON: {error.msg} at column {error.colno}")
            continue
        if isinstance(read, dict):
            yield origin, read
        else:
            yield origin, Rejected(origin, "the line is not a JSON object")


def _csv_reads(lines: Iterator[bytes]) -> Iterator[tuple[Origin, Read | Rejected]]:
    records = csv_records(lines)
    header = next(records, None)
    if header is None or header.problem:
        raise FileUnreadable(f"the CSV header is missing or unreadable: {header.problem if header else 'no rows'}")
    names = header.values
    missing = [name for name in REQUIRED if name not in names]
    if missing:
        raise FileUnreadable(f"the CSV header lacks the required field(s) {', '.join(missing)}")
    width = len(names)
    for line, raw, values, problem in records:
        if len(values) == width:
            yield Origin(line, raw), dict(zip(names, values, strict=True))
        elif values or problem:
            origin = Origin(line, raw)
            yield origin, Rejected(origin, problem or f"the row has {len(values)} fields but the header names {width}")


def _outcomes(items: Iterable[tuple[Origin, Read | Rejected]], *, blank: str | None) -> Iterator[Outcome]:
    """Validate reads a chunk at a time; yield every outcome in input order. `blank` is the file's "no value"
    (the empty string in CSV; null or absent, i.e. None, in JSON)."""
    shaper = _SightingShaper(blank)
    chunk: list[Rejected | tuple[Origin, dict[str, Any]]] = []
    for origin, item in items:
        chunk.append(item if isinstance(item, Rejected) else shaper.shape(origin, item))
        if len(chunk) == CHUNK_SIZE:
            yield from _validated(chunk)
            chunk = []
    yield from _validated(chunk)


def _validated(chunk: list[Rejected | tuple[Origin, dict[str, Any]]]) -> Iterator[Outcome]:
    pending = [item for item in chunk if not isinstance(item, Rejected)]
    faults: dict[int, Rejected] = {}
    try:
        sightings = _SIGHTINGS.validate_python([shaped for _, shaped in pending])
    except ValidationError as error:
        faults = _faults(error, pending)
        good = [item for index, item in enumerate(pending) if index not in faults]
        sightings = _SIGHTINGS.validate_python([shaped for _, shaped in good])
    built = iter(sightings)
    position = 0
    for item in chunk:
        if isinstance(item, Rejected):
            yield item
            continue
        fault = faults.get(position)
        position += 1
        if fault is not None:
            yield fault
        else:
            sighting = next(built)
            yield Parsed(item[0], sighting.read_id, sighting)


def _faults(error: ValidationError, pending: list[tuple[Origin, dict[str, Any]]]) -> dict[int, Rejected]:
    """The first error of each failing read (by position in `pending`), named in the file's terms."""
    faults: dict[int, Rejected] = {}
    for detail in error.errors(include_url=False):
        index, name, *_ = (*detail["loc"], None)
        if not isinstance(index, int) or index in faults:
            continue
        field = _FILE_FIELD.get(str(name), str(name)) if name is not None else None
        origin = pending[index][0]
        faults[index] = Rejected(origin, _reason(field, detail["input"], detail["msg"]), field)
    return faults


def _reason(field: str | None, value: object, message: str) -> str:
    message = message.removeprefix("Value error, ")
    return f"{field} {value!r}: {message}" if field else message


class _SightingShaper:
    """Turns a read as the file gave it into the contract's shape, or a Rejected for what the format itself
    forbids (a missing required field, a time without an offset, a confidence that is not 0-100).

    Written for speed (it runs for every read): locals over helper calls, fast paths for the common case.
    """

    def __init__(self, blank: str | None) -> None:
        self._blank = blank
        self._locations: dict[Hashable, CameraLocation | Rejected] = {}

    def shape(self, origin: Origin, read: Read) -> Rejected | tuple[Origin, dict[str, Any]]:
        blank = self._blank
        get = read.get
        captured, latitude, longitude = get("capture_time"), get("latitude"), get("longitude")
        if not (get("read_id") and get("vrm") and captured and get("camera_id") and latitude and longitude):
            for name in REQUIRED:  # something is falsy: find out whether it is missing or merely 0
                value = get(name)
                if value is None or value == blank:
                    return Rejected(origin, f"{name} is missing: every read needs one", name)
        try:
            if not isinstance(captured, str):
                raise ValueError(captured)
            read_at = _from_iso(captured)
        except ValueError:
            return Rejected(origin, f"capture_time {captured!r} is not an ISO 8601 date-time", "capture_time")
        if read_at.tzinfo is None:
            reason = f"capture_time {captured!r} has no UTC offset, so the moment it names is unknown"
            return Rejected(origin, reason, "capture_time")
        percent = get("confidence")
        confidence: float | str | None = (
            _FRACTIONS.get(percent) if type(percent) is str or type(percent) is int else None
        )
        if confidence is None and percent is not None and percent != blank:
            confidence = _fraction(percent)
            if isinstance(confidence, str):
                return Rejected(origin, confidence, "confidence")
        site_name, site_id, lane, direction = get("site_name"), get("site_id"), get("lane"), get("direction")
        if site_name == blank:
            site_name = None
        location = self._location(origin, latitude, longitude, site_name)
        if type(location) is Rejected:
            return Rejected(origin, location.reason, location.field)
        return origin, {
            "read_id": get("read_id"),
            "vrm": get("vrm"),
            "read_at": read_at,
            "camera_id": get("camera_id"),
            "site_id": None if site_id == blank else site_id,
            "lane": None if lane == blank else lane,
            "direction": None if direction == blank else direction,
            "location": location,
            "confidence": confidence,
        }

    def _location(self, origin: Origin, latitude: Any, longitude: Any, site_name: Any) -> CameraLocation | Rejected:
        # Keyed by type as well as value: True == 1 in Python, but pydantic judges them differently.
        key = (type(latitude), latitude, type(longitude), longitude, site_name)
        try:
            return self._locations[key]
        except KeyError:
            pass
        except TypeError:  # a JSON list or object where a number belongs: unhashable, so not cached
            return self._checked_location(origin, latitude, longitude, site_name)
        if len(self._locations) >= _MAX_CACHED_LOCATIONS:
            self._locations.clear()
        location = self._locations[key] = self._checked_location(origin, latitude, longitude, site_name)
        return location

    @staticmethod
    def _checked_location(origin: Origin, latitude: Any, longitude: Any, site_name: Any) -> CameraLocation | Rejected:
        try:
            return CameraLocation(latitude=latitude, longitude=longitude, description=site_name)
        except ValidationError as error:
            detail = error.errors(include_url=False)[0]
            field = _LOCATION_FILE_FIELD.get(str(detail["loc"][0])) if detail["loc"] else None
            return Rejected(origin, _reason(field, detail["input"], detail["msg"]), field)


_from_iso = datetime.fromisoformat
# Every whole per cent, as CSV text and as a JSON integer, to the contract's fraction.
_FRACTIONS: dict[object, float] = {form: percent / 100 for percent in range(101) for form in (percent, str(percent))}


def _fraction(value: Any) -> float | str:
    """A confidence not in _FRACTIONS as the contract's fraction (0-1), or why it is refused."""
    if isinstance(value, str) and value.isascii() and value.isdigit():
        percent = int(value)  # e.g. "097"
    elif type(value) is int:
        percent = value
    else:
        return f"confidence {value!r} is not a whole number of per cent"
    if not 0 <= percent <= 100:
        return f"confidence {percent} is outside 0-100 per cent"
    return percent / 100
