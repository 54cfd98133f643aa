"""IDENT1 identification results (docs/formats/ident1-ansi-nist.md): one ANSI/NIST-ITL transaction per file,
one BiometricIdentified per transaction (record id: the TCN, 1.009). Image records are not decoded: each is
attached by the SHA-256 of its exact bytes (the pipeline stores it under that key) and referenced from the
event's `images`.

A file that does not start as an ANSI/NIST transaction is unreadable; one that does but breaks the framing or
our UK profile is rejected, and quarantined with its bytes like any bad record.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator, Mapping
from datetime import date
from typing import Any, BinaryIO

from pydantic import ValidationError

from precise_contracts.envelope import Event
from precise_contracts.events.ingest import BiometricIdentified, SourceSystem
from precise_ingest.adapters.ansi_nist import (
    LogicalRecord,
    MalformedTransaction,
    looks_like_transaction,
    parse_transaction,
)
from precise_ingest.adapters.port import FileUnreadable, Origin, Outcome, Parsed, Rejected

# 1.015 DCS character set index -> Python codec, for the text of records other than Type-1.
_CHARACTER_SETS = {"000": "ascii", "001": "latin-1", "003": "utf-8"}
_DATE = re.compile(r"[0-9]{8}")
_SEXES = ("M", "F", "U")
_PLACEHOLDER_HASH = "0" * 64
# The event's fields and the ANSI/NIST fields they come from, to name the field at fault.
_TAGS = {
    "source": "1.009",
    "asn": "2.301",
    "pnc_id": "2.302",
    "cro_number": "2.303",
    "identified": "2.304",
    "identified_on": "2.305",
    "force": "2.306",
}


class Ident1Adapter:
    """Reads one IDENT1 transaction file."""

    source = "ident1"

    def read(self, data: BinaryIO, *, options: Mapping[str, Any]) -> Iterator[Outcome]:
        content = data.read()
        if not looks_like_transaction(content):
            raise FileUnreadable("the file is not an ANSI/NIST-ITL transaction: it does not start with 1.001:")
        origin = Origin(1, content)
        try:
            yield _identification(origin, parse_transaction(content))
        except MalformedTransaction as error:
            yield Rejected(origin, error.reason, error.field)

    def events(self, accepted: Iterable[Parsed]) -> Iterator[Event]:
        for parsed in accepted:
            if not isinstance(parsed.record, BiometricIdentified):
                raise TypeError(f"the ident1 adapter publishes BiometricIdentified, not {type(parsed.record).__name__}")
            yield parsed.record


def _identification(origin: Origin, records: list[LogicalRecord]) -> Parsed:
    type1, *others = records
    descriptive = [record for record in others if record.record_type == 2]
    if len(descriptive) != 1:
        raise MalformedTransaction(f"the transaction has {len(descriptive)} Type-2 records; our profile needs one")
    type2 = descriptive[0]
    encoding = _text_encoding(type1)
    _check_person(type2, encoding)
    identified = type2.text(304, encoding)
    if identified not in ("Y", "N"):
        raise MalformedTransaction(f"2.304 IDF is {identified!r}; it must be Y or N", "2.304")
    identified_on = _date_field(type2, 305, encoding, required=True)
    force = type2.items(306, encoding)
    if not force or len(force[0]) != 2:
        raise MalformedTransaction("2.306 FRC must be two items: the force code and its name", "2.306")
    attachments = {}
    images = []
    for record in others:
        if record is type2:
            continue
        digest = hashlib.sha256(record.raw).hexdigest()
        attachments[digest] = record.raw
        images.append({"key": digest, "sha256": digest})
    tcn = type1.text(9, "ascii")
    fields = {
        "asn": type2.text(301, encoding),
        "pnc_id": type2.text(302, encoding),
        "cro_number": type2.text(303, encoding),
        "identified": identified == "Y",
        "identified_on": identified_on,
        "force": {"code": force[0][0], "name": force[0][1] or None},
        "images": images,
    }
    source = {"system": SourceSystem.IDENT1, "record_id": tcn, "recorded_on": identified_on}
    event = _validated({**fields, "source": {**source, "content_hash": _PLACEHOLDER_HASH}})
    # The content hash covers the record's canonical form: the event without the hash itself.
    canonical = event.model_dump_json(exclude={"source": {"content_hash"}})
    content_hash = hashlib.sha256(canonical.encode()).hexdigest()
    event = _validated({**fields, "source": {**source, "content_hash": content_hash}})
    return Parsed(origin, event.source.record_id, event, attachments)


def _validated(fields: dict[str, Any]) -> BiometricIdentified:
    try:
        return BiometricIdentified.model_validate(fields)
    except ValidationError as error:
        detail = error.errors(include_url=False)[0]
        name = str(detail["loc"][0]) if detail["loc"] else "identified"  # the model check: identified names someone
        message = detail["msg"].removeprefix("Value error, ")
        raise MalformedTransaction(f"{_TAGS.get(name, name)}: {message}", _TAGS.get(name)) from error


def _text_encoding(type1: LogicalRecord) -> str:
    """The codec of non-Type-1 text: 7-bit ASCII unless 1.015 DCS names another character set."""
    declared = type1.items(15, "ascii")
    if not declared or not declared[0][0]:
        return "ascii"
    index = declared[0][0]
    if index not in _CHARACTER_SETS:
        raise MalformedTransaction(f"1.015 DCS names character set {index}, which this reader does not know", "1.015")
    return _CHARACTER_SETS[index]


def _check_person(type2: LogicalRecord, encoding: str) -> None:
    """The arrested person's details are not in the event (they feed person matching), but the profile
    requires a name and well-formed date of birth and sex."""
    if not type2.text(18, encoding):
        raise MalformedTransaction("2.018 NAM, the name given at arrest, is missing", "2.018")
    _date_field(type2, 22, encoding, required=False)
    sex = type2.text(24, encoding)
    if sex is not None and sex not in _SEXES:
        raise MalformedTransaction(f"2.024 SEX is {sex!r}; it must be M, F or U", "2.024")


def _date_field(record: LogicalRecord, number: int, encoding: str, *, required: bool) -> date | None:
    tag = f"{record.record_type}.{number:03d}"
    value = record.text(number, encoding)
    if value is None:
        if required:
            raise MalformedTransaction(f"{tag} is missing", tag)
        return None
    try:
        if _DATE.fullmatch(value) is None:
            raise ValueError(value)
        return date(int(value[:4]), int(value[4:6]), int(value[6:]))
    except ValueError as error:
        raise MalformedTransaction(f"{tag} {value!r} is not a date YYYYMMDD", tag) from error
