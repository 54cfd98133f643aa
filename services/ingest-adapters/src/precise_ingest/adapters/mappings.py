"""Legacy mapping files: the model of docs/formats/legacy-mappings.md, its YAML loader, and the registry of
mappings the service knows (those shipped in `precise_ingest/mappings/` and those added through the API,
kept in the blob store).

A mapping is checked completely when it is loaded, so an upload never meets a mapping that cannot work:
unknown keys, unknown targets, targets of another record kind, date targets without a date format, formats
`strptime` cannot use, fixed-width columns that overlap or are not named, required targets left unmapped.
Every problem is reported at once, each with the file, the key path and what is wrong.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from functools import cache
from importlib.resources import files
from typing import Annotated, Any, Self, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, field_validator, model_validator

from precise_chassis.blob import BlobStore
from precise_chassis.blob.port import BlobExists
from precise_ingest.adapters.encodings import Encoding

NAME_PATTERN = r"^[a-z0-9][a-z0-9-]{0,62}$"
DEFAULT_TIMEZONE = "Europe/London"
MAX_MAPPING_BYTES = 256 * 1024

T = TypeVar("T")
# YAML gives lists; a strict model would only take tuples. The items stay strict.
Several = Annotated[tuple[T, ...], Field(strict=False)]


def _as_list(value: object) -> object:
    return [value] if isinstance(value, str) else value


class _Closed(BaseModel):
    # Strict, so YAML's guesses (an unquoted 1 is a number, `no` a boolean) are refused, not converted.
    # Enum fields relax it: their values are read from text.
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)


class RecordKind(StrEnum):
    """Which canonical record each row becomes."""

    PERSON = "person"
    INTELLIGENCE = "intelligence"
    INCIDENT = "incident"


class InputFormat(StrEnum):
    CSV = "csv"
    FIXED_WIDTH = "fixed-width"
    JSON = "json"


class CsvOptions(_Closed):
    """How a CSV export is framed."""

    delimiter: str = Field(default=",", min_length=1, max_length=1, description="The field separator.")
    quote: str = Field(default='"', min_length=1, max_length=1, description="The quote; doubled inside a field.")
    header: bool = Field(default=True, description="Whether the first row names the columns.")
    columns: Several[str] | None = Field(default=None, description="The column names when there is no header.")

    @model_validator(mode="after")
    def _framing(self) -> Self:
        if self.delimiter == self.quote:
            raise ValueError(f"delimiter and quote are both {self.delimiter!r}")
        if {self.delimiter, self.quote} & {"\r", "\n"}:
            raise ValueError("neither delimiter nor quote may be a line break")
        if self.header and self.columns is not None:
            raise ValueError("columns is only for header: false (with a header, the header names the columns)")
        if not self.header and not self.columns:
            raise ValueError("header: false needs columns, the column names in order")
        return self


class FixedWidthColumn(_Closed):
    name: str = Field(min_length=1, description="The column's name, used by `from` and `record_id`.")
    start: int = Field(ge=1, description="First character of the column, counting from 1.")
    width: int = Field(ge=1, description="Number of characters.")

    @property
    def end(self) -> int:
        """The column's slice of a line is [start - 1, end)."""
        return self.start - 1 + self.width


class FixedWidthOptions(_Closed):
    columns: Several[FixedWidthColumn] = Field(min_length=1, description="The layout, one entry per column.")

    @model_validator(mode="after")
    def _layout(self) -> Self:
        seen: set[str] = set()
        for column in self.columns:
            if column.name in seen:
                raise ValueError(f"column {column.name!r} is defined twice")
            seen.add(column.name)
        ordered = sorted(self.columns, key=lambda column: column.start)
        for first, second in itertools.pairwise(ordered):
            if second.start - 1 < first.end:
                raise ValueError(f"columns {first.name!r} and {second.name!r} overlap")
        return self


class JsonOptions(_Closed):
    records: str | None = Field(default=None, min_length=1, description="Dot path to the array of records.")
    lines: bool = Field(default=False, description="JSON lines: one record object per line.")

    @model_validator(mode="after")
    def _one_framing(self) -> Self:
        if self.lines and self.records is not None:
            raise ValueError("records is not used with lines: true (each line is a record)")
        return self


class InputSpec(_Closed):
    """How the export is framed into records. `encoding` defaults to auto."""

    format: InputFormat = Field(strict=False)
    encoding: Encoding = Field(default=Encoding.AUTO, strict=False)
    csv: CsvOptions | None = None
    fixed_width: FixedWidthOptions | None = None
    json_: JsonOptions | None = Field(default=None, alias="json")

    @model_validator(mode="after")
    def _options_match_the_format(self) -> Self:
        given = {
            InputFormat.CSV: self.csv,
            InputFormat.FIXED_WIDTH: self.fixed_width,
            InputFormat.JSON: self.json_,
        }
        for kind, options in given.items():
            if kind is not self.format and options is not None:
                raise ValueError(f"options {kind.value.replace('-', '_')} do not apply to format {self.format}")
        if self.format is InputFormat.FIXED_WIDTH and self.fixed_width is None:
            raise ValueError("format fixed-width needs fixed_width.columns, the layout")
        return self

    @property
    def csv_options(self) -> CsvOptions:
        return self.csv or CsvOptions()

    @property
    def json_options(self) -> JsonOptions:
        return self.json_ or JsonOptions()


class Take(StrEnum):
    """Which of the split values to keep."""

    ALL = "all"
    FIRST = "first"
    LAST = "last"
    ALL_BUT_LAST = "all-but-last"


class UnknownCode(StrEnum):
    """What to do with a code the translation table lacks."""

    REJECT = "reject"
    KEEP = "keep"
    DROP = "drop"


def _usable_date_format(pattern: str) -> bool:
    """Whether strptime can parse what strftime writes with this format (it raises on a bad directive)."""
    sample = datetime(2001, 2, 3, 4, 5, 6, tzinfo=UTC)
    try:
        datetime.strptime(sample.strftime(pattern), pattern)
    except ValueError:
        return False
    return True


class FieldSpec(_Closed):
    """How to get one target's values from a record (docs: "Field specs"), applied in the documented order."""

    from_: str | None = Field(default=None, alias="from", min_length=1, description="Column or JSON dot path.")
    value: str | None = Field(default=None, min_length=1, description="A constant instead of `from`.")
    split: str | None = Field(default=None, min_length=1, description="Split the text on this separator.")
    take: Take | None = Field(default=None, strict=False, description="Which split values to keep (default all).")
    codes: dict[str, str] | None = Field(default=None, description="Source code -> canonical value.")
    unknown_code: UnknownCode | None = Field(
        default=None, strict=False, description="A code not in codes (default reject)."
    )
    date_format: Annotated[Several[str], BeforeValidator(_as_list)] | None = Field(
        default=None, min_length=1, description="strptime formats, tried in order."
    )
    timezone: str | None = Field(default=None, description=f"Zone of date-times without offset ({DEFAULT_TIMEZONE}).")
    required: bool = Field(default=False, description="Reject a record with no value here.")

    @field_validator("date_format")
    @classmethod
    def _strptime_can_use(cls, formats: tuple[str, ...] | None) -> tuple[str, ...] | None:
        for pattern in formats or ():
            if "%" not in pattern or not _usable_date_format(pattern):
                raise ValueError(f"strptime cannot use the date format {pattern!r}")
        return formats

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, name: str | None) -> str | None:
        if name is not None:
            try:
                ZoneInfo(name)
            except (ZoneInfoNotFoundError, ValueError) as exc:
                raise ValueError(f"{name!r} is not an IANA time zone (e.g. Europe/London)") from exc
        return name

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if (self.from_ is None) == (self.value is None):
            raise ValueError("give exactly one of from (a column or path) and value (a constant)")
        if self.take is not None and self.split is None:
            raise ValueError("take chooses among split values: it needs split")
        if self.unknown_code is not None and self.codes is None:
            raise ValueError("unknown_code needs codes")
        if self.timezone is not None and self.date_format is None:
            raise ValueError("timezone applies to date-times: it needs date_format")
        return self

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone or DEFAULT_TIMEZONE)


class ValueKind(StrEnum):
    TEXT = "text"
    DATE = "date"
    DATETIME = "date-time"


@dataclass(frozen=True)
class Target:
    """A canonical field a mapping can fill: what its values are, how many, and whether it must be mapped."""

    kind: ValueKind = ValueKind.TEXT
    several: bool = False
    required: bool = False


_ONE_DATE = Target(ValueKind.DATE)
_PERSON: dict[str, Target] = {
    "surname": Target(required=True),
    "forenames": Target(several=True),
    "alias": Target(several=True),
    "maiden_name": Target(),
    "date_of_birth": Target(ValueKind.DATE, several=True),
    "sex": Target(),
    "address.lines": Target(several=True),
    "address.town": Target(),
    "address.postcode": Target(),
    "address.from": _ONE_DATE,
    "address.to": _ONE_DATE,
    "phone": Target(several=True),
    "pnc_id": Target(),
    "cro_number": Target(),
    "ni_number": Target(),
    "driving_licence": Target(),
    "passport": Target(),
    "warning_markers": Target(several=True),
}
_DATES = {"recorded_date": Target(ValueKind.DATE, required=True), "review_date": _ONE_DATE}
_ADDRESS = ("address.lines", "address.town", "address.postcode")
SUBJECT = "subject."

TARGETS: dict[RecordKind, dict[str, Target]] = {
    RecordKind.PERSON: _DATES | _PERSON,
    RecordKind.INTELLIGENCE: _DATES
    | {
        "text": Target(required=True),
        "grading.source_evaluation": Target(required=True),
        "grading.intelligence_assessment": Target(required=True),
        "grading.handling_code": Target(required=True),
        "grading.handling_conditions": Target(),
        "vehicle.vrm": Target(several=True),
        "phone": Target(several=True),
    }
    # A subject is optional, but a subject needs its surname: checked in LegacyMapping.
    | {SUBJECT + name: Target(spec.kind, spec.several) for name, spec in _PERSON.items()},
    RecordKind.INCIDENT: _DATES
    | {
        "category": Target(required=True),
        "classification": Target(required=True),
        "occurred_at": Target(ValueKind.DATETIME, required=True),
        "reported_at": Target(ValueKind.DATETIME, required=True),
        "latitude": Target(),
        "longitude": Target(),
    }
    | {name: _PERSON[name] for name in _ADDRESS},
}


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a mapping: where (a dotted key path) and what."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class MappingProblems(ValueError):
    """The problems found across the whole mapping (raised inside validation, expanded by the loader)."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(map(str, problems)))
        self.problems = problems


class LegacyMapping(_Closed):
    """A legacy system's export, described: how to frame it and how each record becomes a canonical one."""

    name: str = Field(pattern=NAME_PATTERN, description="The legacy system's name, also the mapping's name.")
    description: str | None = Field(default=None, description="What the system is, for people.")
    record: RecordKind = Field(strict=False, description="Which canonical record each row becomes.")
    input: InputSpec = Field(description="How to frame records.")
    record_id: str = Field(min_length=1, description="The column or path holding the record's id.")
    review_after_years: int | None = Field(default=None, ge=1, le=100, description="MoPI review period.")
    fields: dict[str, FieldSpec] = Field(min_length=1, description="Target -> how to get it.")

    @model_validator(mode="after")
    def _targets_fit_the_record(self) -> Self:
        targets = TARGETS[self.record]
        problems: list[Problem] = []
        for name, spec in self.fields.items():
            target = targets.get(name)
            if target is None:
                problems.append(Problem(f"fields.{name}", f"not a target of record {self.record}"))
            elif target.kind is ValueKind.TEXT and spec.date_format is not None:
                problems.append(Problem(f"fields.{name}.date_format", "this target is text, not a date"))
            elif target.kind is not ValueKind.TEXT and spec.date_format is None:
                problems.append(Problem(f"fields.{name}", f"a {target.kind} target needs date_format"))
        unmapped = [name for name, target in targets.items() if target.required and name not in self.fields]
        if any(name.startswith(SUBJECT) for name in self.fields) and SUBJECT + "surname" not in self.fields:
            unmapped.append(SUBJECT + "surname")
        if unmapped:
            problems.append(Problem("fields", f"record {self.record} needs {', '.join(unmapped)} mapped"))
        problems += self._columns_exist()
        if problems:
            raise MappingProblems(problems)
        return self

    def _columns_exist(self) -> list[Problem]:
        """With a fixed layout (fixed-width, or CSV without a header) every column read must be in it."""
        if self.input.format is InputFormat.FIXED_WIDTH and self.input.fixed_width is not None:
            layout = {column.name for column in self.input.fixed_width.columns}
        elif self.input.format is InputFormat.CSV and self.input.csv_options.columns:
            layout = set(self.input.csv_options.columns)
        else:
            return []
        read = [("record_id", self.record_id)] + [
            (f"fields.{name}.from", spec.from_) for name, spec in self.fields.items() if spec.from_ is not None
        ]
        return [Problem(path, f"no column {column!r} in the layout") for path, column in read if column not in layout]

    def columns(self) -> list[str]:
        """The columns (or JSON paths) the mapping reads, record id first, each once."""
        read = [self.record_id, *(spec.from_ for spec in self.fields.values() if spec.from_ is not None)]
        return list(dict.fromkeys(read))


class InvalidMapping(ValueError):
    """A mapping file that cannot be used; `problems` says where and why, `source` names the file."""

    def __init__(self, source: str, problems: list[Problem]) -> None:
        super().__init__(f"{source}: " + "; ".join(map(str, problems)))
        self.source = source
        self.problems = problems


class _UniqueKeyLoader(yaml.SafeLoader):
    """PyYAML keeps the last of two equal keys; in a mapping that hides a mistake, so it is an error."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[object] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(None, None, f"key {key!r} appears twice", key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


_YAML_GUESSES = (bool, int, float)


def _problem(error: Any) -> list[Problem]:
    cause = error.get("ctx", {}).get("error")
    loc = list(error["loc"])
    is_key = loc[-1:] == ["[key]"]
    path = ".".join(str(part) for part in (loc[:-2] if is_key else loc))
    if isinstance(cause, MappingProblems):
        return [Problem(p.path if not path else f"{path}.{p.path}", p.message) for p in cause.problems]
    message = str(error["msg"]).removeprefix("Value error, ")
    if error["type"] == "extra_forbidden":
        message = "unknown key"
    elif error["type"] == "string_type" and isinstance(error["input"], _YAML_GUESSES):
        message += f" (YAML read {error['input']!r}: quote it)"
    return [Problem(path, f"key {error['input']!r}: {message}" if is_key else message)]


def parse_mapping(text: str | bytes, *, source: str) -> LegacyMapping:
    """Load a mapping from YAML text; raise InvalidMapping naming `source`, the key path and the problem."""
    try:
        document = yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise InvalidMapping(source, [Problem(where, f"not valid YAML: {problem}")]) from exc
    if not isinstance(document, dict):
        raise InvalidMapping(source, [Problem("", "a mapping file is a YAML mapping of keys (name, record, ...)")])
    try:
        mapping = LegacyMapping.model_validate(document)
    except ValidationError as exc:
        raise InvalidMapping(source, [p for error in exc.errors() for p in _problem(error)]) from exc
    expected = f"{mapping.name}.yaml"
    if source.endswith(".yaml") and source.rsplit("/", 1)[-1] != expected:
        raise InvalidMapping(source, [Problem("name", f"the mapping {mapping.name!r} belongs in {expected}")])
    return mapping


# The registry -----------------------------------------------------------------------------------------------

BLOB_PREFIX = "mappings/"
# The blob store cannot list keys, and never overwrites one, so added mappings are journalled: entry n
# (mappings/added/000001, ...) holds the name of the nth mapping added. A crash between storing a mapping and
# journalling it leaves it usable by name, only missing from the list, until it is added again (409).
_JOURNAL = BLOB_PREFIX + "added/"


class MappingExists(Exception):
    """A mapping of that name exists (shipped or added); mappings are never replaced."""


@dataclass(frozen=True)
class StoredMapping:
    """A mapping with its YAML text as written and where it comes from."""

    mapping: LegacyMapping
    text: str
    shipped: bool


@cache
def shipped_mappings() -> dict[str, StoredMapping]:
    """The mappings in the package folder `precise_ingest/mappings/`, checked when first read."""
    folder = files("precise_ingest") / "mappings"
    found: dict[str, StoredMapping] = {}
    for entry in sorted(folder.iterdir(), key=lambda item: item.name):
        if entry.name.endswith(".yaml"):
            text = entry.read_text(encoding="utf-8")
            mapping = parse_mapping(text, source=f"precise_ingest/mappings/{entry.name}")
            found[mapping.name] = StoredMapping(mapping, text, shipped=True)
    return found


class MappingRegistry:
    """Every mapping the service knows: shipped with it, or added through the API into the blob store."""

    def __init__(self, blobs: BlobStore) -> None:
        self._blobs = blobs

    async def get(self, name: str) -> StoredMapping | None:
        shipped = shipped_mappings().get(name)
        if shipped is not None or re.fullmatch(NAME_PATTERN, name) is None:
            return shipped
        key = f"{BLOB_PREFIX}{name}.yaml"
        if await self._blobs.head(key) is None:
            return None
        text = (await self._read(key)).decode("utf-8")
        return StoredMapping(parse_mapping(text, source=key), text, shipped=False)

    async def all(self) -> list[StoredMapping]:
        """Shipped mappings, then added ones in the order they were added."""
        found = dict(shipped_mappings())
        async for name in self._journal():
            stored = await self.get(name)
            if stored is not None:
                found.setdefault(name, stored)
        return list(found.values())

    async def add(self, text: bytes) -> StoredMapping:
        """Check and store a new mapping; raise InvalidMapping, or MappingExists if its name is taken."""
        try:
            decoded = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InvalidMapping("uploaded mapping", [Problem("", f"not UTF-8 text (byte {exc.start})")]) from exc
        mapping = parse_mapping(decoded, source="uploaded mapping")
        if mapping.name in shipped_mappings():
            raise MappingExists(f"mapping {mapping.name!r} is shipped with the service")
        try:
            await self._blobs.put(f"{BLOB_PREFIX}{mapping.name}.yaml", _chunks(text), content_type="application/yaml")
        except BlobExists as exc:
            raise MappingExists(f"mapping {mapping.name!r} exists") from exc
        await self._journal_append(mapping.name)
        return StoredMapping(mapping, decoded, shipped=False)

    async def _journal(self) -> AsyncIterator[str]:
        number = 1
        while await self._blobs.head(_journal_key(number)) is not None:
            yield (await self._read(_journal_key(number))).decode("utf-8")
            number += 1

    async def _journal_append(self, name: str) -> None:
        number = 1
        while True:  # of two racing adds, each entry goes to one and the other takes the next
            if await self._blobs.head(_journal_key(number)) is None:
                try:
                    await self._blobs.put(_journal_key(number), _chunks(name.encode()), content_type="text/plain")
                    return
                except BlobExists:
                    pass
            number += 1

    async def _read(self, key: str) -> bytes:
        return b"".join([chunk async for chunk in self._blobs.get(key)])


def _journal_key(number: int) -> str:
    return f"{_JOURNAL}{number:06d}"


async def _chunks(data: bytes) -> AsyncIterator[bytes]:
    yield data
