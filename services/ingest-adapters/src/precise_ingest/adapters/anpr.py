"""ANPR reads (docs/formats/anpr-reads.md): CSV or JSON lines in, VehicleSightingsBatched events out, the
reads carried as columns (ADR 0009).

Which encoding: the `format` option ("csv" or "jsonl") when the upload gives one; otherwise the content
decides: a file whose first non-blank line starts with "{" is JSON lines, anything else is CSV with a header.

ANPR is the high-volume source, so the adapter reads a chunk at a time into columns (`anpr_columns`) and
builds no object per read. A CSV file in the documented column order is split around each read's camera
position, whose text is read once per camera (`_standard_reads`); other orders are read field by field.
Validation is still the contract's own: columns go through the contract's types, and a read that is not in the
usual forms goes through `VehicleSighting` itself (`_Reference`), which normalises it or says, in the file's
terms, which field is wrong and why.
"""

from __future__ import annotations

import csv
import itertools
import json
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from operator import itemgetter
from typing import Any, BinaryIO

from pydantic import TypeAdapter, ValidationError

from precise_contracts.events.ingest import CameraLocation, VehicleSighting
from precise_ingest.adapters.anpr_columns import (
    FIELDS,
    POSITION_GIVEN,
    ChunkBuilder,
    PositionCache,
    Row,
    SightingChunk,
    row_of,
)
from precise_ingest.adapters.csv_lines import QUOTE, CsvRecord, csv_records, plain_record, quoted_record
from precise_ingest.adapters.port import FileUnreadable, Origin, Rejected

REQUIRED = ("read_id", "vrm", "capture_time", "camera_id", "latitude", "longitude")
FORMATS = ("csv", "jsonl")
_BOM = b"\xef\xbb\xbf"
# A camera's position is these fields of FIELDS, one after another: those before it, and those after it.
_BEFORE, _AFTER = POSITION_GIVEN[0], len(FIELDS) - 1 - POSITION_GIVEN[-1]
_MAX_POSITIONS = 10_000  # distinct position texts kept: a country's camera sites
# The contract's field names where the file's differ, to name the field at fault in the file's terms.
_FILE_FIELD = {"read_at": "capture_time"}
_LOCATION_FILE_FIELD = {"latitude": "latitude", "longitude": "longitude", "description": "site_name"}
_SIGHTING = TypeAdapter(VehicleSighting)

Read = Mapping[str, Any]  # one read as the file gave it: field name -> value
Item = tuple[int, bytes, Row | Rejected]  # a record of the file: its line, its bytes, its values or why not


class AnprAdapter:
    """Reads ANPR exports; `options["format"]` may name the encoding ("csv" or "jsonl")."""

    source = "anpr"

    def read_chunks(
        self, data: BinaryIO, *, options: Mapping[str, Any], size: int, skip: int
    ) -> Iterator[SightingChunk]:
        declared = options.get("format")
        if declared is not None and declared not in FORMATS:
            raise FileUnreadable(f"ANPR format {declared!r} is not one of {', '.join(FORMATS)}")
        lines, encoding = _sniff(iter(data), declared)
        blank = None if encoding == "jsonl" else ""
        items = _json_lines(lines) if encoding == "jsonl" else _csv_reads(lines)
        reference = _Reference(blank)
        positions = PositionCache()
        records = itertools.islice(items, skip, None)
        while True:
            builder = ChunkBuilder(reference, blank, positions)
            builder.take(itertools.islice(records, size))
            if not builder.read:
                return
            yield builder.build()


def _sniff(lines: Iterator[bytes], declared: str | None) -> tuple[Iterator[bytes], str]:
    """The file's lines (BOM removed) and its encoding, declared or judged from the first non-blank line."""
    seen: list[bytes] = []
    for line in lines:
        if not seen and line.startswith(_BOM):
            line = line[len(_BOM) :]
        seen.append(line)
        if line.strip():
            encoding = declared or ("jsonl" if line.lstrip().startswith(b"{") else "csv")
            return itertools.chain(seen, lines), encoding
    raise FileUnreadable("the file holds no ANPR reads: it is empty")


def _json_lines(lines: Iterable[bytes]) -> Iterator[Item]:
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        try:
            read = json.loads(raw)
        except UnicodeDecodeError:
            yield number, raw, Rejected(Origin(number, raw), "the line is not UTF-8")
            continue
        except json.JSONDecodeError as error:
            reason = f"the line is not JSON: {error.msg} at column {error.colno}"
            yield number, raw, Rejected(Origin(number, raw), reason)
            continue
        if isinstance(read, dict):
            yield number, raw, row_of(read)
        else:
            yield number, raw, Rejected(Origin(number, raw), "the line is not a JSON object")


def _csv_reads(lines: Iterator[bytes]) -> Iterator[Item]:
    records = csv_records(lines)
    header = next(records, None)
    if header is None or header.problem:
        raise FileUnreadable(f"the CSV header is missing or unreadable: {header.problem if header else 'no rows'}")
    names = header.values
    missing = [name for name in REQUIRED if name not in names]
    if missing:
        raise FileUnreadable(f"the CSV header lacks the required field(s) {', '.join(missing)}")
    if tuple(names) == FIELDS:  # `records` has read the header's lines and no more
        yield from _standard_reads(lines, header.line + header.raw.count(b"\n", 0, len(header.raw) - 1))
        return
    width = len(names)
    # a field the header does not name reads as blank: it is looked up past the end, where a "" is added
    pick = itemgetter(*(names.index(name) if name in names else width for name in FIELDS))
    padded = any(name not in names for name in FIELDS)
    for record in records:
        if (item := _read_of(record, width, pick, padded=padded)) is not None:
            yield item


def _read_of(record: CsvRecord, width: int, pick: itemgetter[Any], *, padded: bool) -> Item | None:
    """A CSV record as a read (its values in FIELDS order) or a reject; None for a blank line."""
    line, raw, values, problem = record
    if len(values) == width:
        if padded:
            values.append("")
        return line, raw, pick(values)
    if values or problem:
        reason = problem or f"the row has {len(values)} fields but the header names {width}"
        return line, raw, Rejected(Origin(line, raw), reason)
    return None


def _standard_reads(lines: Iterator[bytes], number: int) -> Iterator[Item]:
    """The reads of a file in the documented column order (after its header, line `number`). A camera's position
    (camera_id to longitude, the middle five fields) is the same text in each of its thousands of reads, and the
    only place a comma within quotes is usual (a site name), so a row is split around it: the three fields before
    it and the five after hold no comma, and the position's text is read as CSV once per camera, its values then
    shared by its reads. A row this does not fit (a quote outside the position, a line break inside quotes, the
    wrong number of fields, not UTF-8) is read as any CSV record is."""
    positions: dict[str, tuple[str, ...] | None] = {}
    pick = itemgetter(*range(len(FIELDS)))
    for raw in lines:
        number += 1
        try:
            head = raw.decode().rstrip("\r\n").split(",", _BEFORE)
        except UnicodeDecodeError:
            head = []
        if len(head) == _BEFORE + 1:
            tail = head.pop().rsplit(",", _AFTER)
            if len(tail) == _AFTER + 1:
                middle = tail[0]
                position = positions.get(middle)
                if position is None and middle not in positions:
                    if len(positions) >= _MAX_POSITIONS:
                        positions.clear()
                    position = positions[middle] = _position_fields(middle)
                if position is not None and (QUOTE not in raw or _quotes_within(raw, middle)):
                    yield number, raw, (*head, *position, *tail[1:])
                    continue
        if QUOTE in raw:
            record, last = quoted_record(number, raw, lines)
        else:
            record, last = plain_record(number, raw), number
        number = last
        if (item := _read_of(record, len(FIELDS), pick, padded=False)) is not None:
            yield item


def _position_fields(text: str) -> tuple[str, ...] | None:
    """The five fields of a camera position's CSV text, or None if it does not hold five (or is not valid CSV)."""
    if '"' not in text:
        fields = text.split(",")
    else:
        try:
            fields = next(csv.reader([text], strict=True), [])
        except csv.Error:
            return None
    return tuple(fields) if len(fields) == len(POSITION_GIVEN) else None


def _quotes_within(raw: bytes, middle: str) -> bool:
    """Whether every quote of the row is within its camera position's text, and the row ends outside quotes."""
    quotes = raw.count(QUOTE)
    return quotes % 2 == 0 and middle.count('"') == quotes


class _Reference:
    """The contract read by read, for the reads the columns cannot take as they stand."""

    def __init__(self, blank: str | None) -> None:
        self._shaper = _SightingShaper(blank)

    def explain(self, origin: Origin, row: Row) -> VehicleSighting | Rejected:
        shaped = self._shaper.shape(origin, dict(zip(FIELDS, row, strict=True)))
        if isinstance(shaped, Rejected):
            return shaped
        try:
            return _SIGHTING.validate_python(shaped)
        except ValidationError as error:
            detail = error.errors(include_url=False)[0]
            name = detail["loc"][0] if detail["loc"] else None
            field = _FILE_FIELD.get(str(name), str(name)) if name is not None else None
            return Rejected(origin, _reason(field, detail["input"], detail["msg"]), field)


def _reason(field: str | None, value: object, message: str) -> str:
    message = message.removeprefix("Value error, ")
    return f"{field} {value!r}: {message}" if field else message


class _SightingShaper:
    """Turns a read as the file gave it into the contract's shape, or a Rejected for what the format itself
    forbids (a missing required field, a time without an offset, a confidence that is not 0-100).
    """

    def __init__(self, blank: str | None) -> None:
        self._blank = blank

    def shape(self, origin: Origin, read: Read) -> Rejected | dict[str, Any]:
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
        plate, overview = get("plate_image"), get("overview_image")
        return {
            "read_id": get("read_id"),
            "vrm": get("vrm"),
            "read_at": read_at,
            "camera_id": get("camera_id"),
            "site_id": None if site_id == blank else site_id,
            "lane": None if lane == blank else lane,
            "direction": None if direction == blank else direction,
            "location": location,
            "confidence": confidence,
            "plate_image": None if plate == blank else plate,
            "overview_image": None if overview == blank else overview,
        }

    @staticmethod
    def _location(origin: Origin, latitude: Any, longitude: Any, site_name: Any) -> CameraLocation | Rejected:
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
