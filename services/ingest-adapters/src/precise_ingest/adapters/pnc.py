"""PNC person nominal exports (docs/formats/pnc-nominal.md): one CSV row per nominal, one PersonRecordObserved
per row. A bad row is rejected naming its column; a file whose header is not the documented one, or that
is not UTF-8, is not this format and fails whole."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import date
from typing import Any, BinaryIO, TypeVar

from pydantic import ValidationError

from precise_contracts.codes.warning_markers import parse_warning_code
from precise_contracts.envelope import Event
from precise_contracts.events.ingest import (
    AddressKind,
    MissingRisk,
    MissingStatus,
    NameKind,
    PersonAddress,
    PersonIdentifiers,
    PersonName,
    PersonRecordObserved,
    Sex,
    SourceRecordRef,
    SourceSystem,
    WantedStatus,
    WarningMarker,
)
from precise_contracts.events.ingest.force import PoliceForce
from precise_contracts.events.ingest.identifiers import Passport, parse_driving_licence
from precise_contracts.formats import PNC_NOMINAL_COLUMNS
from precise_contracts.values import parse_cro_number, parse_ni_number, parse_pnc_id, parse_postcode
from precise_ingest.adapters.port import PENDING_HASH, FileUnreadable, Origin, Outcome, Parsed, Rejected

HEADER = list(PNC_NOMINAL_COLUMNS)
REQUIRED = ("record_id", "pnc_id", "surname", "dates_of_birth", "sex", "recorded_date", "review_date")
_SEXES = {"M": Sex.MALE, "F": Sex.FEMALE, "U": Sex.UNKNOWN}
_BOM = b"\xef\xbb\xbf"
# where pydantic reports a problem in the event -> the column that fed it
_COLUMN_OF_FIELD = {
    "names": "surname",
    "dates_of_birth": "dates_of_birth",
    "sex": "sex",
    "addresses": "addresses",
    "identifiers": "pnc_id",
    "warning_markers": "warning_signals",
    "wanted": "wanted_missing",
    "missing": "wanted_missing",
}
_SOURCE_COLUMN = {"record_id": "record_id", "recorded_on": "recorded_date", "review_by": "review_date"}

T = TypeVar("T")


class FieldError(ValueError):
    """One column of a row is wrong; the row is rejected naming it."""

    def __init__(self, column: str, reason: str) -> None:
        super().__init__(f"{column}: {reason}")
        self.column = column
        self.reason = reason


class PncAdapter:
    source = "pnc"

    def read(self, data: BinaryIO, *, options: Mapping[str, Any]) -> Iterator[Outcome]:
        lines = _Lines(data)
        rows = csv.reader(lines)
        try:
            header = next(rows, None)
        except csv.Error as exc:
            raise FileUnreadable(f"the header row is not valid CSV: {exc}") from exc
        if header != HEADER:
            raise FileUnreadable(
                f"not a PNC nominal export: the first row must be the header {','.join(HEADER)!r}, "
                f"not {','.join(header or [])[:300]!r}"
            )
        while True:
            lines.start_record()
            try:
                row = next(rows, None)
            except csv.Error as exc:
                yield Rejected(lines.origin(), f"not valid CSV: {exc}")
                continue
            if row is None:
                return
            if not any(cell.strip() for cell in row):
                continue  # a blank line holds no record
            origin = lines.origin()
            try:
                record_id, record = nominal(row)
            except FieldError as exc:
                yield Rejected(origin, exc.reason, exc.column)
            else:
                yield Parsed(origin, record_id, record)

    def events(self, accepted: Iterable[Parsed]) -> Iterator[Event]:
        for parsed in accepted:
            if not isinstance(parsed.record, PersonRecordObserved):
                raise TypeError(f"the pnc adapter publishes person records, not {type(parsed.record).__name__}")
            yield parsed.record


class _Lines:
    """Feeds the csv reader decoded lines and remembers the raw bytes and first line of the current record."""

    def __init__(self, data: BinaryIO) -> None:
        self._data = data
        self._number = 0
        self._first = 1
        self._raw: list[bytes] = []

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        raw = self._data.readline()
        if not raw:
            raise StopIteration
        self._number += 1
        if self._number == 1 and raw.startswith(_BOM):
            raw = raw[len(_BOM) :]
        self._raw.append(raw)
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise FileUnreadable(f"line {self._number} is not UTF-8 ({exc.reason} at byte {exc.start})") from exc

    def start_record(self) -> None:
        self._first = self._number + 1
        self._raw = []

    def origin(self) -> Origin:
        return Origin(line=self._first, raw=b"".join(self._raw))


def nominal(row: list[str]) -> tuple[str, PersonRecordObserved]:
    """The canonical record of one CSV row; FieldError names the column at fault."""
    if len(row) != len(HEADER):
        raise FieldError("record", f"the row has {len(row)} fields; a nominal has {len(HEADER)}")
    cells = {column: value.strip() for column, value in zip(HEADER, row, strict=True)}
    for column in REQUIRED:
        if not cells[column]:
            raise FieldError(column, f"{column} is required")
    wanted, missing = _statuses(cells["wanted_missing"])
    recorded_on = _parsed("recorded_date", cells["recorded_date"], _date)
    review_by = _parsed("review_date", cells["review_date"], _date)
    if review_by < recorded_on:
        raise FieldError("review_date", f"review_date {review_by} is before recorded_date {recorded_on}")
    try:
        record = PersonRecordObserved(
            source=SourceRecordRef(
                system=SourceSystem.PNC,
                record_id=cells["record_id"],
                recorded_on=recorded_on,
                review_by=review_by,
                content_hash=PENDING_HASH,
            ),
            names=(_primary_name(cells), *_aliases(cells["aliases"])),
            dates_of_birth=tuple(_parsed("dates_of_birth", e, _date) for e in _entries(cells["dates_of_birth"])),
            sex=_parsed("sex", cells["sex"], _sex),
            addresses=_addresses(cells["addresses"]),
            identifiers=PersonIdentifiers(
                pnc_id=_parsed("pnc_id", cells["pnc_id"], parse_pnc_id),
                cro_number=_optional("cro_number", cells["cro_number"], parse_cro_number),
                ni_number=_optional("ni_number", cells["ni_number"], parse_ni_number),
                driving_licence=_optional("driving_licence", cells["driving_licence"], parse_driving_licence),
                passport=_optional("passport", cells["passport"], _passport),
            ),
            warning_markers=tuple(_warning(entry) for entry in _entries(cells["warning_signals"])),
            wanted=wanted,
            missing=missing,
            is_update=False,
        )
    except ValidationError as exc:
        raise FieldError(_column_of(exc), _first_message(exc)) from exc
    return cells["record_id"], record


def _parsed(column: str, text: str, parse: Callable[[str], T]) -> T:
    try:
        return parse(text)
    except (ValueError, ValidationError) as exc:
        raise FieldError(column, _reason(exc)) from exc


def _optional(column: str, text: str, parse: Callable[[str], T]) -> T | None:
    return _parsed(column, text, parse) if text.strip() else None


def _entries(text: str) -> list[str]:
    return [entry.strip() for entry in text.split(";") if entry.strip()]


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"{text!r} is not an ISO date (YYYY-MM-DD)") from None


def _sex(text: str) -> Sex:
    if text not in _SEXES:
        raise ValueError(f"sex {text!r} is not M, F or U")
    return _SEXES[text]


def _primary_name(cells: Mapping[str, str]) -> PersonName:
    return PersonName(forenames=tuple(cells["forenames"].split()), surname=cells["surname"], kind=NameKind.PRIMARY)


def _aliases(text: str) -> list[PersonName]:
    names = []
    for entry in _entries(text):
        surname, _, forenames = entry.partition(", ")
        if not surname.strip():
            raise FieldError("aliases", f"alias {entry!r} has no surname before ', '")
        names.append(PersonName(forenames=tuple(forenames.split()), surname=surname, kind=NameKind.ALIAS))
    return names


def _addresses(text: str) -> tuple[PersonAddress, ...]:
    addresses = []
    for entry in _entries(text):
        parts = entry.split("|")
        if len(parts) != 4:
            raise FieldError("addresses", f"address {entry!r} must be TEXT|POSTCODE|FROM|TO")
        lines_text, postcode, valid_from, valid_to = parts
        *lines, town = [part.strip() for part in lines_text.split(", ") if part.strip()] or [""]
        if not town:
            raise FieldError("addresses", f"address {entry!r} has no text")
        try:
            addresses.append(
                PersonAddress(
                    lines=tuple(lines) or (town,),
                    town=town if lines else None,
                    postcode=_optional("addresses", postcode, parse_postcode),
                    kind=AddressKind.PREVIOUS if valid_to.strip() else AddressKind.HOME,
                    valid_from=_optional("addresses", valid_from, _date),
                    valid_to=_optional("addresses", valid_to, _date),
                )
            )
        except ValidationError as exc:
            raise FieldError("addresses", _first_message(exc)) from exc
    return tuple(addresses)


def _passport(text: str) -> Passport:
    number, separator, state = text.partition("|")
    if not separator:
        raise ValueError(f"passport {text!r} must be NUMBER|STATE")
    return Passport(number=number, issuing_state=state.strip())


def _warning(entry: str) -> WarningMarker:
    code, separator, recorded = entry.partition(":")
    if not separator:
        raise FieldError("warning_signals", f"warning signal {entry!r} must be CC:YYYY-MM-DD")
    try:
        return WarningMarker(
            code=parse_warning_code(code),
            recorded_on=_date(recorded),
        )
    except (ValueError, ValidationError) as exc:
        raise FieldError("warning_signals", _reason(exc)) from exc


def _statuses(text: str) -> tuple[WantedStatus | None, MissingStatus | None]:
    """The current wanted and missing status; past episodes (with an UNTIL date) are history, not status."""
    wanted: WantedStatus | None = None
    missing: MissingStatus | None = None
    for entry in _entries(text):
        kind, *parts = entry.split("|")
        try:
            if kind == "WANTED" and len(parts) == 4:
                since, until, force, offence = parts
                if not until.strip():
                    wanted = WantedStatus(since=_date(since), offence=offence, circulated_by=PoliceForce(code=force))
            elif kind == "MISSING" and len(parts) == 3:
                since, until, risk = parts
                if not until.strip():
                    missing = MissingStatus(since=_date(since), risk=MissingRisk(risk.strip().lower()))
            else:
                raise ValueError(
                    f"entry {entry!r} must be WANTED|SINCE|UNTIL|FORCE|OFFENCE or MISSING|SINCE|UNTIL|RISK"
                )
        except (ValueError, ValidationError) as exc:
            raise FieldError("wanted_missing", _reason(exc)) from exc
    return wanted, missing


def _column_of(exc: ValidationError) -> str:
    location = exc.errors()[0]["loc"]
    if location and location[0] == "source" and len(location) > 1:
        return _SOURCE_COLUMN.get(str(location[1]), "record_id")
    return _COLUMN_OF_FIELD.get(str(location[0]) if location else "", "record")


def _reason(exc: ValueError | ValidationError) -> str:
    return _first_message(exc) if isinstance(exc, ValidationError) else str(exc)


def _first_message(exc: ValidationError) -> str:
    error = exc.errors()[0]
    where = ".".join(str(part) for part in error["loc"])
    return f"{where}: {error['msg']}" if where else str(error["msg"])
