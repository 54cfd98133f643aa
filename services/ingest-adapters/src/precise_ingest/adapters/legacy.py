"""The legacy adapter: any force system's CSV, fixed-width or JSON export, read through its mapping file
(docs/formats/legacy-mappings.md), so a new legacy system needs a mapping, not code.

Reading goes: decode the whole file (encodings.py), frame it into records (each with the line its first
character is on and its original bytes), apply each field spec in the documented order, validate each value
as its canonical field does, and build the canonical record. Anything wrong with one record rejects that
record, naming the source column and the target; only a file that cannot be framed at all (undecodable, not
JSON, a header without the mapped columns) is unreadable.
"""

from __future__ import annotations

import csv
import hashlib
import json
import logging
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, BinaryIO, TypeVar

from pydantic import BaseModel, TypeAdapter, ValidationError

from precise_contracts.codes.warning_markers import parse_warning_code
from precise_contracts.envelope import Event
from precise_contracts.events.ingest import (
    Address,
    AddressKind,
    Coordinates,
    HandlingCode,
    IncidentCategory,
    IncidentRecorded,
    IntelligenceAssessment,
    IntelligenceGrading,
    IntelligenceRecorded,
    NameKind,
    PersonAddress,
    PersonIdentifiers,
    PersonName,
    PersonRecordObserved,
    Sex,
    SourceEvaluation,
    SourceRecordRef,
    SourceSystem,
    SubjectKind,
    SubjectRef,
    WarningMarker,
)
from precise_contracts.events.ingest._part import Label, Narrative
from precise_contracts.events.ingest.identifiers import (
    UNITED_KINGDOM,
    Passport,
    parse_driving_licence,
    parse_phone_number,
)
from precise_contracts.values import parse_cro_number, parse_ni_number, parse_pnc_id, parse_postcode, parse_vrm
from precise_ingest.adapters.encodings import Decoded, UndecodableText, decode
from precise_ingest.adapters.mappings import (
    SUBJECT,
    TARGETS,
    FieldSpec,
    InputFormat,
    LegacyMapping,
    RecordKind,
    Take,
    Target,
    UnknownCode,
    ValueKind,
)
from precise_ingest.adapters.port import FileUnreadable, Origin, Outcome, Parsed, Rejected

logger = logging.getLogger(__name__)

Value = str | date | datetime
M = TypeVar("M", bound=BaseModel)
_UNHASHED = "0" * 64  # the content hash while the content it hashes is being built


@dataclass(frozen=True)
class ParsedReport(Parsed):
    """An intelligence report whose subject is also published as a person record (docs: `subject.*`)."""

    subject: PersonRecordObserved | None = None


class LegacyAdapter:
    """Reads a legacy export with the mapping given as `options["mapping"]` (a LegacyMapping)."""

    source = "legacy"

    def read(self, data: BinaryIO, *, options: Mapping[str, Any]) -> Iterator[Outcome]:
        mapping = options.get("mapping")
        if not isinstance(mapping, LegacyMapping):
            raise TypeError("a legacy file is read with its mapping: options['mapping'] must be a LegacyMapping")
        try:
            decoded = decode(data.read(), mapping.input.encoding)
        except UndecodableText as exc:
            raise FileUnreadable(f"mapping {mapping.name}: {exc}") from exc
        logger.info(
            "legacy file decoded as %s (%s)",
            decoded.encoding,
            "detected" if decoded.detected else "declared",
            extra={"mapping": mapping.name, "encoding": str(decoded.encoding)},
        )
        records = _Records(mapping)
        for frame in _frames(mapping, decoded):
            yield records.outcome(frame)

    def events(self, accepted: Iterable[Parsed]) -> Iterator[Event]:
        """Each record's event; an intelligence report's subject follows it as a person record."""
        for parsed in accepted:
            if not isinstance(parsed.record, Event):
                raise TypeError(f"record {parsed.record_id} is a {type(parsed.record).__name__}, not an event")
            yield parsed.record
            if isinstance(parsed, ParsedReport) and parsed.subject is not None:
                yield parsed.subject


# Framing: text -> records with their line and bytes ---------------------------------------------------------


@dataclass(frozen=True)
class _Frame:
    """One record as framed: where it is, its bytes, and its values by column or path (None when it could
    not be split into values, with `problem` saying why)."""

    line: int
    raw: bytes
    values: Mapping[str, object] | None
    problem: str | None = None


_LINE = re.compile(r"[^\n]*\n|[^\n]+")


def _without_line_end(text: str) -> str:
    return text.removesuffix("\n").removesuffix("\r")


def _frames(mapping: LegacyMapping, decoded: Decoded) -> Iterator[_Frame]:
    framing = {InputFormat.CSV: _csv_frames, InputFormat.FIXED_WIDTH: _fixed_width_frames, InputFormat.JSON: _json}
    return framing[mapping.input.format](mapping, decoded)


class _CountedLines:
    """The text's physical lines (LF or CRLF ends kept), remembering those csv has pulled for the current row."""

    def __init__(self, text: str) -> None:
        self._lines = (match.group() for match in _LINE.finditer(text))
        self.pulled = 0
        self.row: list[str] = []

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        line = next(self._lines)
        self.pulled += 1
        self.row.append(line)
        return line


def _csv_frames(mapping: LegacyMapping, decoded: Decoded) -> Iterator[_Frame]:
    options = mapping.input.csv_options
    lines = _CountedLines(decoded.text)
    reader = csv.reader(lines, delimiter=options.delimiter, quotechar=options.quote, doublequote=True, strict=True)
    header: list[str] | None = list(options.columns) if options.columns else None
    while True:
        first = lines.pulled + 1
        lines.row.clear()
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            if header is None:
                raise FileUnreadable(f"mapping {mapping.name}: the header (line {first}) is not CSV: {exc}") from exc
            yield _Frame(first, decoded.encode(_without_line_end("".join(lines.row))), None, f"not CSV: {exc}")
            continue
        if not row:  # a blank line
            continue
        raw = decoded.encode(_without_line_end("".join(lines.row)))
        if header is None:
            header = [name.strip() for name in row]
            _check_header(mapping, header)
        elif len(row) != len(header):
            yield _Frame(first, raw, None, f"the row has {len(row)} fields, the header {len(header)}")
        else:
            yield _Frame(first, raw, dict(zip(header, row, strict=True)))
    if header is None:
        raise FileUnreadable(f"mapping {mapping.name}: the file is empty, without even a header")


def _check_header(mapping: LegacyMapping, header: list[str]) -> None:
    missing = [column for column in mapping.columns() if column not in header]
    if missing:
        raise FileUnreadable(
            f"mapping {mapping.name}: the header lacks the column(s) {', '.join(missing)}; it has {', '.join(header)}"
        )
    twice = sorted({column for column in mapping.columns() if header.count(column) > 1})
    if twice:
        raise FileUnreadable(f"mapping {mapping.name}: the header names {', '.join(twice)} more than once")


def _fixed_width_frames(mapping: LegacyMapping, decoded: Decoded) -> Iterator[_Frame]:
    assert mapping.input.fixed_width is not None  # the mapping's own validation guarantees it
    layout = mapping.input.fixed_width.columns
    for number, match in enumerate(_LINE.finditer(decoded.text), start=1):
        line = _without_line_end(match.group())
        if line.strip():
            # A short line reads as padded with spaces: slicing past its end gives the same empty value.
            values = {column.name: line[column.start - 1 : column.end] for column in layout}
            yield _Frame(number, decoded.encode(line), values)


def _json(mapping: LegacyMapping, decoded: Decoded) -> Iterator[_Frame]:
    options = mapping.input.json_options
    if options.lines:
        return _json_line_frames(decoded)
    return _json_array_frames(mapping, decoded, options.records)


def _as_text(document: str) -> object:
    """JSON with numbers kept as their text (`51.43` stays "51.43"), as the mapping doc says."""
    return json.loads(document, parse_float=str, parse_int=str, parse_constant=str)


def _record_frame(position: int, text: str, decoded: Decoded) -> _Frame:
    raw = decoded.encode(text)
    try:
        record = _as_text(text)
    except json.JSONDecodeError as exc:
        return _Frame(position, raw, None, f"not JSON: {exc}")
    if not isinstance(record, dict):
        return _Frame(position, raw, None, f"a record is a JSON object, not {_json_kind(record)}")
    return _Frame(position, raw, record)


def _json_line_frames(decoded: Decoded) -> Iterator[_Frame]:
    for number, match in enumerate(_LINE.finditer(decoded.text), start=1):
        line = _without_line_end(match.group())
        if line.strip():
            yield _record_frame(number, line, decoded)


_WHITESPACE = re.compile(r"[ \t\n\r]*")
_DECODER = json.JSONDecoder()


def _json_array_frames(mapping: LegacyMapping, decoded: Decoded, records: str | None) -> Iterator[_Frame]:
    """Each element of the records array with its exact text, so a rejected record keeps its own bytes."""
    text = decoded.text
    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        raise FileUnreadable(f"mapping {mapping.name}: the document is not JSON: {exc}") from exc
    where = f"json.records {records!r}" if records else "the document"
    position = _value_at(text, _skip(text, 0), records.split(".") if records else [])
    if position is None or text[position] != "[":
        raise FileUnreadable(f"mapping {mapping.name}: {where} is not an array of records")
    position = _skip(text, position + 1)
    index = 0
    while text[position] != "]":
        _, end = _DECODER.raw_decode(text, position)
        index += 1
        yield _record_frame(index, text[position:end], decoded)
        position = _skip(text, end)
        position = _skip(text, position + 1) if text[position] == "," else position


def _skip(text: str, position: int) -> int:
    match = _WHITESPACE.match(text, position)
    return match.end() if match else position


def _value_at(text: str, position: int, path: list[str]) -> int | None:
    """Where the value at `path` starts in a valid JSON text, walking objects key by key; None if absent."""
    for key in path:
        if text[position] != "{":
            return None
        position = _skip(text, position + 1)
        found = False
        while text[position] != "}" and not found:
            name, position = _DECODER.raw_decode(text, position)
            position = _skip(text, _skip(text, position) + 1)  # past the colon
            found = name == key
            if not found:
                _, position = _DECODER.raw_decode(text, position)
                position = _skip(text, position)
                position = _skip(text, position + 1) if text[position] == "," else position
        if not found:
            return None
    return position


def _json_kind(value: object) -> str:
    if isinstance(value, dict):
        return "an object"
    return "an array" if isinstance(value, list) else "a value"


# Field specs: a record's values -> each target's canonical values -------------------------------------------


class _Refused(Exception):
    """The record is rejected: the source column (or target, for a constant) and why."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(reason)
        self.field = field
        self.reason = reason


def _where(spec: FieldSpec) -> str:
    return f"in column {spec.from_}" if spec.from_ is not None else "in its constant value"


def _lookup(values: Mapping[str, object], path: str, *, nested: bool) -> object:
    """A column's value, or a JSON dot path's; a missing key is None (absent)."""
    if not nested:
        return values.get(path)
    found: object = values
    for part in path.split("."):
        found = found.get(part) if isinstance(found, dict) else None
    return found


def _text(value: object) -> str | None:
    """JSON true/false as their JSON text; objects and arrays are not values."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None or isinstance(value, str):
        return value
    raise ValueError(f"is {_json_kind(value)}, not a value")


_TAKE: dict[Take, Callable[[list[str]], list[str]]] = {
    Take.ALL: lambda parts: parts,
    Take.FIRST: lambda parts: parts[:1],
    Take.LAST: lambda parts: parts[-1:],
    Take.ALL_BUT_LAST: lambda parts: parts[:-1],
}


def _apply(name: str, spec: FieldSpec, target: Target, values: Mapping[str, object], nested: bool) -> list[Value]:
    """Steps 1-6 of "Field specs": read, strip, split and take, translate codes, parse dates, check counts."""
    try:
        raw = spec.value if spec.from_ is None else _text(_lookup(values, spec.from_, nested=nested))
    except ValueError as exc:
        raise _Refused(spec.from_ or name, f"{name}: {spec.from_} {exc}") from exc
    text = (raw or "").strip()
    parts = [text] if text else []
    if spec.split is not None and text:
        parts = _TAKE[spec.take or Take.ALL]([part.strip() for part in text.split(spec.split) if part.strip()])
    if spec.codes is not None:
        parts = _translate(name, spec, parts)
    found: list[Value] = [_date(name, spec, target, part) for part in parts] if spec.date_format else list(parts)
    column = spec.from_ or name
    if spec.required and not found:
        raise _Refused(column, f"{name}: no value {_where(spec)}")
    if not target.several and len(found) > 1:
        raise _Refused(column, f"{name}: takes one value but got {len(found)} {_where(spec)}")
    return found


def _translate(name: str, spec: FieldSpec, parts: list[str]) -> list[str]:
    assert spec.codes is not None
    translated: list[str] = []
    for part in parts:
        if part in spec.codes:
            translated += [spec.codes[part]] if spec.codes[part] else []
        elif (spec.unknown_code or UnknownCode.REJECT) is UnknownCode.KEEP:
            translated.append(part)
        elif spec.unknown_code is not UnknownCode.DROP:
            raise _Refused(spec.from_ or name, f"{name}: unknown code {part!r} {_where(spec)}")
    return translated


def _date(name: str, spec: FieldSpec, target: Target, text: str) -> Value:
    assert spec.date_format is not None
    for pattern in spec.date_format:
        try:
            moment = datetime.strptime(text, pattern)
        except ValueError:
            continue
        if target.kind is ValueKind.DATETIME:
            return moment if moment.tzinfo is not None else moment.replace(tzinfo=spec.zone)
        return (moment.astimezone(spec.zone) if moment.tzinfo is not None else moment).date()
    formats = " or ".join(repr(pattern) for pattern in spec.date_format)
    raise _Refused(spec.from_ or name, f"{name}: {text!r} {_where(spec)} is not a date in the format {formats}")


# Canonical checks (step 7), by target name without any `subject.` prefix: each returns the value to use.
_LABEL: TypeAdapter[str] = TypeAdapter(Label)
_NARRATIVE: TypeAdapter[str] = TypeAdapter(Narrative)
_SEX = {"M": Sex.MALE, "F": Sex.FEMALE, "U": Sex.UNKNOWN}


def _sex(value: str) -> Sex:
    if value not in _SEX:
        raise ValueError(f"sex {value!r} is not M, F or U")
    return _SEX[value]


def _uk_passport(value: str) -> Passport:
    return Passport(number=value, issuing_state=UNITED_KINGDOM)


def _latitude_or_longitude(value: str) -> float:
    try:
        return float(value)
    except ValueError:
        raise ValueError(f"{value!r} is not a number of degrees") from None


_CHECKS: dict[str, Callable[[str], object]] = {
    "surname": _LABEL.validate_python,
    "forenames": _LABEL.validate_python,
    "maiden_name": _LABEL.validate_python,
    "address.lines": _LABEL.validate_python,
    "address.town": _LABEL.validate_python,
    "address.postcode": parse_postcode,
    "sex": _sex,
    "phone": parse_phone_number,
    "pnc_id": parse_pnc_id,
    "cro_number": parse_cro_number,
    "ni_number": parse_ni_number,
    "driving_licence": parse_driving_licence,
    "passport": _uk_passport,
    "warning_markers": parse_warning_code,
    "text": _NARRATIVE.validate_python,
    "grading.source_evaluation": SourceEvaluation,
    "grading.intelligence_assessment": IntelligenceAssessment,
    "grading.handling_code": HandlingCode,
    "grading.handling_conditions": _NARRATIVE.validate_python,
    "vehicle.vrm": parse_vrm,
    "category": IncidentCategory,
    "classification": _LABEL.validate_python,
    "latitude": _latitude_or_longitude,
    "longitude": _latitude_or_longitude,
}


def _reason(exc: ValueError) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(str(error["msg"]).removeprefix("Value error, ") for error in exc.errors())
    return str(exc)


def _check(name: str, spec: FieldSpec, value: Value) -> object:
    check = _CHECKS.get(name.removeprefix(SUBJECT))
    if check is None or not isinstance(value, str):
        return value
    try:
        return check(value)
    except ValueError as exc:
        raise _Refused(spec.from_ or name, f"{name}: {value!r} {_where(spec)}: {_reason(exc)}") from exc


class _Got:
    """A record's canonical values by target."""

    def __init__(self, values: dict[str, list[object]], columns: Mapping[str, str]) -> None:
        self._values = values
        self._columns = columns

    def refuse(self, name: str, problem: str) -> _Refused:
        """A refusal naming the column the target is read from (or the target, for a constant)."""
        column = self._columns.get(name, name)
        return _Refused(column, f"{name}: {problem}" + (f" (column {column})" if column != name else ""))

    def one(self, name: str) -> Any:
        found = self._values.get(name)
        return found[0] if found else None

    def several(self, name: str) -> list[Any]:
        return self._values.get(name, [])

    def any(self, prefix: str) -> bool:
        return any(found for name, found in self._values.items() if name.startswith(prefix))


# Records ------------------------------------------------------------------------------------------------------


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February in a year without one
        return day.replace(year=day.year + years, day=28)


def _canonical_hash(*records: BaseModel) -> str:
    """SHA-256 of the records' canonical JSON, without the hash itself and the pipeline's is_update."""
    digest = hashlib.sha256()
    for record in records:
        content = record.model_dump(mode="json", exclude={"source": {"content_hash"}, "is_update": True})
        digest.update(json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode())
    return digest.hexdigest()


def _hashed(record: M, content_hash: str) -> M:
    source = record.source.model_copy(update={"content_hash": content_hash})  # type: ignore[attr-defined]
    return record.model_copy(update={"source": source})


class _Records:
    """Turns framed records into outcomes with one mapping."""

    def __init__(self, mapping: LegacyMapping) -> None:
        self._mapping = mapping
        targets = TARGETS[mapping.record]
        self._specs = [(name, spec, targets[name]) for name, spec in mapping.fields.items()]
        self._columns = {name: spec.from_ for name, spec in mapping.fields.items() if spec.from_ is not None}
        self._nested = mapping.input.format is InputFormat.JSON

    def outcome(self, frame: _Frame) -> Outcome:
        origin = Origin(line=frame.line, raw=frame.raw)
        if frame.values is None:
            return Rejected(origin=origin, reason=frame.problem or "not a record")
        try:
            record_id = self._record_id(frame.values)
            got = _Got(
                {
                    name: [
                        _check(name, spec, value) for value in _apply(name, spec, target, frame.values, self._nested)
                    ]
                    for name, spec, target in self._specs
                },
                self._columns,
            )
            return self._build(origin, record_id, got)
        except _Refused as refused:
            return Rejected(origin=origin, reason=refused.reason, field=refused.field)
        except ValidationError as exc:
            reasons = [
                f"{'.'.join(map(str, error['loc']))}: {str(error['msg']).removeprefix('Value error, ')}".lstrip(": ")
                for error in exc.errors()
            ]
            return Rejected(origin=origin, reason="; ".join(reasons))

    def _record_id(self, values: Mapping[str, object]) -> str:
        column = self._mapping.record_id
        try:
            text = (_text(_lookup(values, column, nested=self._nested)) or "").strip()
        except ValueError as exc:
            raise _Refused(column, f"record id: {column} {exc}") from exc
        if not text:
            raise _Refused(column, f"record id: no value in column {column}")
        return text

    def _source(self, record_id: str, got: _Got) -> SourceRecordRef:
        recorded: date = got.one("recorded_date")
        review: date | None = got.one("review_date")
        years = self._mapping.review_after_years
        if review is None and years is not None:
            review = _add_years(recorded, years)
        return SourceRecordRef(
            system=SourceSystem.LEGACY,
            legacy_system=self._mapping.name,
            record_id=record_id,
            recorded_on=recorded,
            review_by=review,
            content_hash=_UNHASHED,
        )

    def _build(self, origin: Origin, record_id: str, got: _Got) -> Parsed:
        source = self._source(record_id, got)
        if self._mapping.record is RecordKind.PERSON:
            person = _person(got, "", source)
            return Parsed(origin=origin, record_id=record_id, record=_hashed(person, _canonical_hash(person)))
        if self._mapping.record is RecordKind.INCIDENT:
            incident = _incident(got, source, record_id)
            return Parsed(origin=origin, record_id=record_id, record=_hashed(incident, _canonical_hash(incident)))
        subject = _person(got, SUBJECT, source) if got.any(SUBJECT) else None
        report = _intelligence(got, source, subject)
        content_hash = _canonical_hash(report, *([subject] if subject else []))
        return ParsedReport(
            origin=origin,
            record_id=record_id,
            record=_hashed(report, content_hash),
            subject=_hashed(subject, content_hash) if subject else None,
        )


def _alias(text: str) -> PersonName:
    """An alias written `SURNAME, FORENAMES` (or a surname alone)."""
    surname, _, forenames = text.partition(",")
    return PersonName(surname=surname.strip(), forenames=tuple(forenames.split()), kind=NameKind.ALIAS)


def _person(got: _Got, prefix: str, source: SourceRecordRef) -> PersonRecordObserved:
    forenames = tuple(got.several(prefix + "forenames"))
    surname = got.one(prefix + "surname")
    if surname is None:
        raise got.refuse(prefix + "surname", "no value, and a person needs a surname")
    names = [PersonName(forenames=forenames, surname=surname, kind=NameKind.PRIMARY)]
    names += [_alias(alias) for alias in got.several(prefix + "alias")]
    maiden = got.one(prefix + "maiden_name")
    if maiden is not None:
        names.append(PersonName(forenames=forenames, surname=maiden, kind=NameKind.MAIDEN))
    addresses: tuple[PersonAddress, ...] = ()
    if got.any(prefix + "address."):
        lines = tuple(got.several(prefix + "address.lines"))
        if not lines:
            raise got.refuse(prefix + "address.lines", "an address needs at least one line")
        address = PersonAddress(
            kind=AddressKind.HOME,
            lines=lines,
            town=got.one(prefix + "address.town"),
            postcode=got.one(prefix + "address.postcode"),
            valid_from=got.one(prefix + "address.from"),
            valid_to=got.one(prefix + "address.to"),
        )
        addresses = (address,)
    codes = dict.fromkeys(got.several(prefix + "warning_markers"))  # once each, in order
    return PersonRecordObserved(
        source=source,
        names=tuple(names),
        dates_of_birth=tuple(dict.fromkeys(got.several(prefix + "date_of_birth"))),
        sex=got.one(prefix + "sex") or Sex.UNKNOWN,
        addresses=addresses,
        phones=tuple(got.several(prefix + "phone")),
        identifiers=PersonIdentifiers(
            pnc_id=got.one(prefix + "pnc_id"),
            cro_number=got.one(prefix + "cro_number"),
            ni_number=got.one(prefix + "ni_number"),
            driving_licence=got.one(prefix + "driving_licence"),
            passport=got.one(prefix + "passport"),
        ),
        warning_markers=tuple(WarningMarker(code=code, recorded_on=source.recorded_on) for code in codes),
        is_update=False,
    )


def _intelligence(got: _Got, source: SourceRecordRef, subject: PersonRecordObserved | None) -> IntelligenceRecorded:
    subjects: list[SubjectRef] = []
    if subject is not None:
        name = subject.names[0]
        written = ", ".join([name.surname, " ".join(name.forenames)]) if name.forenames else name.surname
        subjects.append(SubjectRef(kind=SubjectKind.PERSON, value=written))
    subjects += [SubjectRef(kind=SubjectKind.VEHICLE, value=vrm) for vrm in got.several("vehicle.vrm")]
    subjects += [SubjectRef(kind=SubjectKind.PHONE, value=phone) for phone in got.several("phone")]
    return IntelligenceRecorded(
        source=source,
        text=got.one("text"),
        subjects=tuple(subjects),
        grading=IntelligenceGrading(
            source_evaluation=got.one("grading.source_evaluation"),
            intelligence_assessment=got.one("grading.intelligence_assessment"),
            handling_code=got.one("grading.handling_code"),
            handling_conditions=got.one("grading.handling_conditions"),
        ),
    )


def _incident(got: _Got, source: SourceRecordRef, record_id: str) -> IncidentRecorded:
    latitude, longitude = got.one("latitude"), got.one("longitude")
    if (latitude is None) != (longitude is None):
        given = "latitude" if longitude is None else "longitude"
        raise got.refuse(given, "given without its pair; coordinates need latitude and longitude")
    address = None
    if got.any("address."):
        lines = tuple(got.several("address.lines"))
        if not lines:
            raise got.refuse("address.lines", "an address needs at least one line")
        address = Address(lines=lines, town=got.one("address.town"), postcode=got.one("address.postcode"))
    return IncidentRecorded(
        source=source,
        reference=record_id,
        category=got.one("category"),
        classification=got.one("classification"),
        occurred_at=got.one("occurred_at"),
        reported_at=got.one("reported_at"),
        address=address,
        coordinates=Coordinates(latitude=latitude, longitude=longitude) if latitude is not None else None,
    )
