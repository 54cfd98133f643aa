"""IDENT1 files parse as docs/formats/ident1-ansi-nist.md says: LEN framing, CNT, tagged and binary records."""

from __future__ import annotations

import struct
from datetime import datetime
from pathlib import Path

import pytest

from precise_contracts.events.ingest.identifiers import parse_asn
from precise_contracts.values import parse_pnc_id
from precise_tools.synth.sources.ident1 import FS, GS, RS, US

DOC = Path(__file__).parents[4] / "docs" / "formats" / "ident1-ansi-nist.md"

Fields = dict[int, list[list[str]] | bytes]


def tagged_length(data: bytes, offset: int) -> int:
    """LEN of the tagged record at ``offset``: the digits after ``n.001:`` up to the first GS."""
    end = data.index(GS, offset)
    tag, _, length = data[offset:end].partition(b":")
    assert tag.endswith(b".001")
    return int(length)


def tagged_fields(record: bytes) -> Fields:
    """Fields of one tagged record: text as subfields of items; ``n.999`` as the raw bytes to the final FS."""
    assert record.endswith(FS)
    fields: Fields = {}
    position = 0
    while position < len(record) - 1:
        colon = record.index(b":", position)
        number = int(record[position:colon].split(b".")[1])
        if number == 999:
            fields[number] = record[colon + 1 : -1]
            break
        end = record.find(GS, colon)
        end = len(record) - 1 if end == -1 else end
        value = record[colon + 1 : end].decode("utf-8")
        fields[number] = [subfield.split(US.decode()) for subfield in value.split(RS.decode())]
        position = end + 1
    return fields


def parse_transaction(data: bytes) -> list[tuple[int, bytes]]:
    """(record type, record bytes) for every record, framed by LEN in the order 1.003 lists them."""
    type1 = data[: tagged_length(data, 0)]
    contents = tagged_fields(type1)[3]
    assert isinstance(contents, list)
    assert contents[0] == ["1", str(len(contents) - 1)]
    records, offset = [(1, type1)], len(type1)
    for record_type, idc in contents[1:]:
        length = (
            struct.unpack(">I", data[offset : offset + 4])[0] if record_type == "4" else tagged_length(data, offset)
        )
        record = data[offset : offset + length]
        assert len(record) == length
        idc_in_record = record[4] if record_type == "4" else int(tagged_fields(record)[2][0][0])  # type: ignore[index]
        assert idc_in_record == int(idc)
        records.append((int(record_type), record))
        offset += length
    assert offset == len(data), "bytes after the last record"
    return records


def text(fields: Fields, number: int) -> str:
    value = fields[number]
    assert isinstance(value, list)
    return US.decode().join(value[0])


@pytest.fixture(scope="module")
def transactions(world: Path) -> dict[str, list[tuple[int, bytes]]]:
    return {path.stem: parse_transaction(path.read_bytes()) for path in sorted((world / "ident1").glob("*.nist"))}


def test_each_file_is_one_transaction_named_by_its_tcn(transactions: dict[str, list[tuple[int, bytes]]]) -> None:
    assert len(transactions) > 100
    for name, records in transactions.items():
        assert [record_type for record_type, _ in records] == [1, 2, 4, 4, 14]
        type1 = tagged_fields(records[0][1])
        assert text(type1, 9) == name
        assert text(type1, 2) == "0500"
        assert text(type1, 11) == text(type1, 12) == "19.69"
        datetime.strptime(text(type1, 5), "%Y%m%d")


def test_type2_holds_the_uk_profile_with_valid_identifiers(transactions: dict[str, list[tuple[int, bytes]]]) -> None:
    identified = 0
    for records in transactions.values():
        type2 = tagged_fields(records[1][1])
        assert parse_asn(text(type2, 301)) == text(type2, 301)
        assert "," in text(type2, 18)
        force = type2[306]
        assert isinstance(force, list)
        assert len(force[0]) == 2
        assert force[0][0].isdigit()
        if text(type2, 304) == "Y":
            identified += 1
            assert parse_pnc_id(text(type2, 302)) == text(type2, 302)
        else:
            assert text(type2, 304) == "N"
            assert 302 not in type2
            assert 303 not in type2
    assert 0 < identified < len(transactions)


def test_identified_results_name_the_pnc_id_the_pnc_export_holds_for_that_person(
    transactions: dict[str, list[tuple[int, bytes]]],
    truth_persons: list[dict[str, str]],
    nominals: list[dict[str, str]],
) -> None:
    person_of = {(r["source_system"], r["source_record_id"]): r["person_id"] for r in truth_persons}
    pnc_ids_of: dict[str, set[str]] = {}
    for row in nominals:
        pnc_ids_of.setdefault(person_of["pnc", row["record_id"]], set()).add(row["pnc_id"])

    for tcn, records in transactions.items():
        type2 = tagged_fields(records[1][1])
        if text(type2, 304) == "Y":
            assert text(type2, 302) in pnc_ids_of[person_of["ident1", tcn]]


def test_image_records_declare_their_size_and_keep_binary_data_intact(
    transactions: dict[str, list[tuple[int, bytes]]],
) -> None:
    for records in transactions.values():
        for record_type, record in records[2:]:
            if record_type == 4:
                length, _, impression, fingers, _, width, height, compression = struct.unpack(">IBB6sBHHB", record[:18])
                assert length == len(record) == 18 + width * height
                assert (impression, compression) == (1, 0)
                assert fingers[0] in (2, 7)
                assert fingers[1:] == b"\xff" * 5
            else:
                fields = tagged_fields(record)
                image = fields[999]
                assert isinstance(image, bytes)
                assert len(image) == int(text(fields, 6)) * int(text(fields, 7))
                assert text(fields, 11) == "NONE"


def test_the_documented_example_records_have_the_stated_lengths() -> None:
    example = DOC.read_text().split("## Example")[1].split("```\n")[1]
    raw = (
        example.replace("<GS>\n", GS.decode())
        .replace("<FS>\n", FS.decode())
        .replace("<RS>", RS.decode())
        .replace("<US>", US.decode())
        .encode()
    )
    type1_length = tagged_length(raw, 0)
    type2_length = tagged_length(raw, type1_length)

    assert (type1_length, type2_length) == (222, 224)
    assert len(raw) == type1_length + type2_length
    type2 = tagged_fields(raw[type1_length:])
    assert parse_asn(text(type2, 301)) == text(type2, 301)
    assert parse_pnc_id(text(type2, 302)) == text(type2, 302)
