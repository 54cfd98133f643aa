"""ANSI/NIST-ITL 1-2011 traditional encoding (docs/formats/ident1-ansi-nist.md): frames a transaction into its
logical records and splits tagged records into fields, subfields and information items. Images are never
decoded: a record keeps its exact bytes, so it can be stored by hash."""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass

FS, GS, RS, US = b"\x1c", b"\x1d", b"\x1e", b"\x1f"
TYPE1_START = b"1.001:"
IMAGE_DATA_FIELD = 999  # n.999 is binary: it runs to the record's closing FS and may hold any byte
TYPE4_HEADER = struct.Struct(">IB")  # LEN, IDC: the start of the 18-byte Type-4 header
TYPE4_HEADER_BYTES = 18
# Binary record types whose header layout we do not know, so they cannot be framed.
UNFRAMEABLE_BINARY_TYPES = frozenset({3, 5, 6, 7, 8})
# Tagged record types of ANSI/NIST-ITL 1-2011 and its 2013 update, Type-1 and Type-2 apart.
TAGGED_TYPES = frozenset({2, 9, 10, 11, 12, *range(13, 23), 98, 99})
_TAG = re.compile(rb"([0-9]+)\.([0-9]{3,}):")

Items = tuple[bytes, ...]
Subfields = tuple[Items, ...]


class MalformedTransaction(ValueError):
    """The transaction cannot be framed or breaks the standard's structure."""

    def __init__(self, reason: str, field: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.field = field


@dataclass(frozen=True)
class LogicalRecord:
    record_type: int
    idc: int | None  # None for Type-1, which has none
    raw: bytes  # the record exactly as in the file, LEN bytes
    fields: dict[int, Subfields]  # tagged records' fields by number (n.999 as one item of raw bytes); {} for Type-4

    def text(self, number: int, encoding: str) -> str | None:
        """The field's first item decoded, or None when the field is absent or empty."""
        subfields = self.fields.get(number)
        if not subfields or not subfields[0][0]:
            return None
        return decode(self.record_type, number, subfields[0][0], encoding)

    def items(self, number: int, encoding: str) -> list[list[str]]:
        """Every subfield's items, decoded."""
        return [
            [decode(self.record_type, number, item, encoding) for item in sub] for sub in self.fields.get(number, ())
        ]


def decode(record_type: int, number: int, value: bytes, encoding: str) -> str:
    try:
        return value.decode(encoding)
    except UnicodeDecodeError as error:
        raise MalformedTransaction(f"{record_type}.{number:03d} is not {encoding}", tag(record_type, number)) from error


def tag(record_type: int, number: int) -> str:
    return f"{record_type}.{number:03d}"


def looks_like_transaction(data: bytes) -> bool:
    """Whether the bytes start as an ANSI/NIST traditional-encoding transaction must: with Type-1's LEN."""
    return data.startswith(TYPE1_START)


def parse_transaction(data: bytes) -> list[LogicalRecord]:
    """The transaction's records in file order, Type-1 first; raise MalformedTransaction saying what is wrong."""
    type1 = _tagged_record(data, 0, 1)
    contents = _contents(type1)
    records = [type1]
    offset = len(type1.raw)
    for record_type, idc in contents:
        if offset >= len(data):
            raise MalformedTransaction(
                f"1.003 lists a Type-{record_type} record (IDC {idc}) that is missing: the file ends at byte {offset}",
                "1.003",
            )
        if record_type == 4:
            record = _type4_record(data, offset)
        elif record_type in TAGGED_TYPES:
            record = _tagged_record(data, offset, record_type)
        elif record_type in UNFRAMEABLE_BINARY_TYPES:
            raise MalformedTransaction(
                f"1.003 lists a binary Type-{record_type} record, whose header layout this reader does not know",
                "1.003",
            )
        else:
            raise MalformedTransaction(f"1.003 lists record type {record_type}, which is not ANSI/NIST", "1.003")
        if record.idc != idc:
            raise MalformedTransaction(
                f"the Type-{record_type} record at byte {offset} has IDC {record.idc} but 1.003 lists IDC {idc}",
                tag(record_type, 2),
            )
        records.append(record)
        offset += len(record.raw)
    if offset != len(data):
        raise MalformedTransaction(
            f"{len(data) - offset} bytes follow the last record 1.003 lists, from byte {offset}", "1.003"
        )
    return records


def _contents(type1: LogicalRecord) -> list[tuple[int, int]]:
    """1.003 CNT: (record type, IDC) of each record after Type-1, in file order."""
    subfields = type1.fields.get(3)
    if not subfields:
        raise MalformedTransaction("Type-1 has no 1.003 CNT, the list of the records that follow", "1.003")
    try:
        entries = [tuple(int(item) for item in sub) for sub in subfields]
    except ValueError as error:
        raise MalformedTransaction("1.003 CNT holds an entry that is not numbers", "1.003") from error
    if any(len(entry) != 2 for entry in entries):
        raise MalformedTransaction("1.003 CNT entries are pairs of record type and IDC", "1.003")
    (first_type, count), *rest = entries
    if first_type != 1 or count != len(rest):
        raise MalformedTransaction(
            f"1.003 CNT starts 1 and the number of records that follow; it starts {first_type}, {count} "
            f"and lists {len(rest)}",
            "1.003",
        )
    return [(record_type, idc) for record_type, idc in rest]


def _tagged_record(data: bytes, offset: int, record_type: int) -> LogicalRecord:
    head = f"{record_type}.001:".encode()
    if not data.startswith(head, offset):
        raise MalformedTransaction(
            f"the Type-{record_type} record at byte {offset} does not start with its LEN field {head.decode()}",
            tag(record_type, 1),
        )
    end_of_len = min(_find(data, GS, offset), _find(data, FS, offset))
    digits = data[offset + len(head) : end_of_len]
    if not digits.isdigit():
        raise MalformedTransaction(
            f"{tag(record_type, 1)} LEN {digits[:20]!r} at byte {offset} is not a number", tag(record_type, 1)
        )
    length = int(digits)
    end = offset + length
    if length < len(head) + len(digits) + 1 or end > len(data) or data[end - 1 : end] != FS:
        raise MalformedTransaction(
            f"{tag(record_type, 1)} LEN {length} at byte {offset} does not end on the record's FS "
            f"(the file has {len(data) - offset} bytes from there)",
            tag(record_type, 1),
        )
    raw = data[offset:end]
    fields = _fields(raw[:-1], record_type)
    idc = None
    if record_type != 1:
        idc = _idc(fields, record_type)
    return LogicalRecord(record_type, idc, raw, fields)


def _fields(body: bytes, record_type: int) -> dict[int, Subfields]:
    """Split a tagged record (without its FS) into fields: text up to each GS, but n.999 runs to the end."""
    fields: dict[int, Subfields] = {}
    position = 0
    while position <= len(body):
        match = _TAG.match(body, position)
        if match is None:
            raise MalformedTransaction(
                f"a Type-{record_type} field at byte {position} of its record is not tagged n.nnn:", None
            )
        found_type, number = int(match[1]), int(match[2])
        if found_type != record_type:
            raise MalformedTransaction(
                f"field {match[0].decode()} sits in a Type-{record_type} record", tag(record_type, number)
            )
        if number in fields:
            raise MalformedTransaction(f"field {tag(record_type, number)} appears twice", tag(record_type, number))
        start = match.end()
        if number == IMAGE_DATA_FIELD:
            fields[number] = ((body[start:],),)
            break
        end = _find(body, GS, start)
        fields[number] = tuple(tuple(sub.split(US)) for sub in body[start:end].split(RS))
        position = end + 1
    return fields


def _idc(fields: dict[int, Subfields], record_type: int) -> int:
    value = fields.get(2, ((b"",),))[0][0]
    if not value.isdigit():
        raise MalformedTransaction(
            f"the Type-{record_type} record's IDC {value!r} is missing or not a number", tag(record_type, 2)
        )
    return int(value)


def _type4_record(data: bytes, offset: int) -> LogicalRecord:
    if len(data) - offset < TYPE4_HEADER_BYTES:
        raise MalformedTransaction(f"the Type-4 record at byte {offset} is shorter than its 18-byte header", "4.001")
    length, idc = TYPE4_HEADER.unpack_from(data, offset)
    if length < TYPE4_HEADER_BYTES or offset + length > len(data):
        raise MalformedTransaction(
            f"4.001 LEN {length} at byte {offset} does not fit the file ({len(data) - offset} bytes from there)",
            "4.001",
        )
    return LogicalRecord(4, idc, data[offset : offset + length], {})


def _find(data: bytes, separator: bytes, start: int) -> int:
    """The position of the next `separator`, or the end of `data`."""
    found = data.find(separator, start)
    return len(data) if found < 0 else found
