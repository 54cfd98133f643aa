"""CSV records with the bytes they came from: a rejected record is quarantined with its original bytes and
first line number, and one record may span several lines (a newline inside quotes).

A row holding no quote character is split on commas directly (several times faster than the csv module on
ANPR's volume: `plain_record`). A row whose one quoted field holds no quote of its own (a site name with a
comma) is split around the quotes, checked to sit at field boundaries; any other row with a quote is read by
the csv module (RFC 4180), together with the following lines while its quotes are unbalanced (`quoted_record`).
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from functools import partial
from typing import NamedTuple

QUOTE = b'"'
NOT_UTF8 = "the row is not UTF-8"


class CsvRecord(NamedTuple):
    line: int  # the record's first line, 1-based
    raw: bytes  # the record's bytes, line ends included
    values: list[str]  # [] for a blank line or a record with a problem
    problem: str | None  # why the record cannot be read: not UTF-8, or broken quoting


# Made by tuple.__new__ directly: a NamedTuple's own constructor is a Python function, a tenth of the time an ANPR
# row takes to read.
_record: Callable[[tuple[int, bytes, list[str], str | None]], CsvRecord] = partial(tuple.__new__, CsvRecord)


def csv_records(lines: Iterator[bytes]) -> Iterator[CsvRecord]:
    """The RFC 4180 records of UTF-8 `lines` (each ending in CRLF or LF; the last may end in neither)."""
    number = 0
    for raw in lines:
        number += 1
        if QUOTE in raw:
            record, number = quoted_record(number, raw, lines)
            yield record
        else:
            yield plain_record(number, raw)


def plain_record(number: int, raw: bytes) -> CsvRecord:
    """The record on line `number`, which holds no quote: its fields are what lies between its commas."""
    try:
        text = raw.decode()
    except UnicodeDecodeError:
        return _record((number, raw, [], NOT_UTF8))
    text = text.rstrip("\r\n")
    return _record((number, raw, text.split(",") if text else [], None))


def quoted_record(number: int, raw: bytes, lines: Iterator[bytes]) -> tuple[CsvRecord, int]:
    """The record starting on line `number`, which holds a quote, and the number of its last line: a line break
    ends it only where the quotes so far are balanced ("" is an escaped quote), so it takes the lines after it
    while they are not."""
    first = number
    taken = [raw]
    quotes = raw.count(QUOTE)
    while quotes % 2:
        more = next(lines, None)
        if more is None:
            break
        number += 1
        taken.append(more)
        quotes += more.count(QUOTE)
    raw = b"".join(taken)
    try:
        text = raw.decode()
    except UnicodeDecodeError:
        return _record((first, raw, [], NOT_UTF8)), number
    values = _one_quoted_field(text)
    if values is None:
        try:
            values = next(csv.reader([text], strict=True), [])
        except csv.Error as error:  # a stray quote inside a field, or one never closed
            return _record((first, raw, [], f"the row's quoting is broken: {error}")), number
    return _record((first, raw, values, None)), number


def _one_quoted_field(text: str) -> list[str] | None:
    """The fields of a row with exactly one quoted field and no other quote, or None for the csv module."""
    if text.count('"') != 2:
        return None
    before, quoted, after = text.rstrip("\r\n").split('"')
    if (before and not before.endswith(",")) or (after and not after.startswith(",")):
        return None  # a quote inside a field: the csv module says what is wrong with it
    head = before.split(",")[:-1] if before else []
    return [*head, quoted, *(after.split(",")[1:] if after else [])]
