"""The PNC nominal adapter on the documented example, the synthetic corpus, and broken rows and files."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from precise_ingest.adapters.pnc import HEADER, PncAdapter
from precise_ingest.adapters.port import FileUnreadable, Outcome, Parsed, Rejected

from precise_contracts.events.ingest import PersonRecordObserved
from precise_contracts.values import pnc_check_letter

HEAD = ",".join(HEADER).encode() + b"\r\n"
HARRIS = (
    b'N00004711,98/1234567L,123456/98E,HARRIS,WILLIAM JAMES,"HARRIS, BILL JAMES;HARRIES, WILLIAM JAMES",'
    b'1975-11-09;1975-09-11,M,"12 Robson Road, Leeds|LS6 2QT|2009-04-01|2019-06-30;Flat 3, 48 Keller Close, '
    b'Leeds|LS11 5DW|2019-06-30|",JK284716B,HARRI711095WJ9AB,541203987|GBR,VI:2012-05-14;WE:2019-03-02,'
    b"WANTED|2024-02-11||13|Failed to appear at court (bail warrant),1998-07-20,2033-02-14\r\n"
)
JONES = (
    b'N00004712,19/0045210E,040871/19Y,JONES,SARAH LOUISE,"MORGAN, SARAH LOUISE",1988-03-04,F,'
    b'"7 Heol Las, Cardiff|CF14 3NP|2016-02-01|",WP019283C,,,MH:2021-07-11,MISSING|2023-11-02|2023-11-05|MEDIUM,'
    b"2019-05-02,2025-05-02\r\n"
)


def read(content: bytes) -> list[Outcome]:
    return list(PncAdapter().read(io.BytesIO(content), options={}))


def test_the_documented_example_maps_every_column() -> None:
    harris, jones = read(HEAD + HARRIS + JONES)

    assert isinstance(harris, Parsed)
    record = harris.record
    assert isinstance(record, PersonRecordObserved)
    assert (harris.record_id, harris.origin.line, harris.origin.raw) == ("N00004711", 2, HARRIS)
    assert record.source.key() == "pnc:N00004711"
    assert str(record.source.review_by) == "2033-02-14"
    assert [(n.kind, n.surname, n.forenames) for n in record.names] == [
        ("primary", "HARRIS", ("WILLIAM", "JAMES")),
        ("alias", "HARRIS", ("BILL", "JAMES")),
        ("alias", "HARRIES", ("WILLIAM", "JAMES")),
    ]
    assert [str(d) for d in record.dates_of_birth] == ["1975-11-09", "1975-09-11"]
    assert [(a.kind, a.lines, a.town, a.postcode) for a in record.addresses] == [
        ("previous", ("12 Robson Road",), "Leeds", "LS6 2QT"),
        ("home", ("Flat 3", "48 Keller Close"), "Leeds", "LS11 5DW"),
    ]
    ids = record.identifiers
    assert (ids.pnc_id, ids.cro_number, ids.ni_number, ids.driving_licence) == (
        "98/1234567L",
        "123456/98E",
        "JK284716B",
        "HARRI711095WJ9AB",
    )
    assert ids.passport is not None
    assert (ids.passport.number, ids.passport.issuing_state) == ("541203987", "GBR")
    assert [m.code.value for m in record.warning_markers] == ["VI", "WE"]
    assert record.wanted is not None
    assert record.wanted.circulated_by.code == "13"
    assert isinstance(jones, Parsed)
    assert isinstance(jones.record, PersonRecordObserved)
    assert jones.record.missing is None  # a past missing episode is history, not status


def test_a_wrong_check_letter_rejects_the_row_naming_the_column_and_the_expected_letter() -> None:
    expected = pnc_check_letter(98, 1234567)
    wrong = "Z" if expected != "Z" else "Y"
    bad = HARRIS.replace(b"98/1234567L", b"98/1234567" + wrong.encode())

    rejected, jones = read(HEAD + bad + JONES)

    assert isinstance(rejected, Rejected)
    assert (rejected.field, rejected.origin.line, rejected.origin.raw) == ("pnc_id", 2, bad)
    assert f"needs {expected}" in rejected.reason
    assert isinstance(jones, Parsed)


def test_a_quoted_newline_keeps_the_record_whole_and_the_next_line_numbers_right() -> None:
    multiline = JONES.replace(b"Failed", b"").replace(b'"7 Heol Las, Cardiff|', b'"7 Heol Las,\r\n Cardiff|')

    jones, harris = read(HEAD + multiline + HARRIS.replace(b"\r\n", b"\n"))

    assert isinstance(jones, Parsed)
    assert jones.origin.raw == multiline
    assert isinstance(harris, Parsed)
    assert harris.origin.line == 4


@pytest.mark.parametrize(
    ("change", "column"),
    [
        ((b"1988-03-04", b"1988-13-04"), "dates_of_birth"),
        ((b"MH:2021", b"ZZ:2021"), "warning_signals"),
        ((b"2019-05-02,2025-05-02", b"2019-05-02,2018-05-02"), "review_date"),
        ((b"WP019283C", b"WP01928"), "ni_number"),
        ((b"N00004712,", b","), "record_id"),
        ((b",F,", b",F,extra,"), "record"),
    ],
)
def test_each_bad_field_rejects_only_its_row(change: tuple[bytes, bytes], column: str) -> None:
    outcomes = read(HEAD + HARRIS + JONES.replace(*change) + HARRIS.replace(b"N00004711", b"N00004799"))

    assert [type(o).__name__ for o in outcomes] == ["Parsed", "Rejected", "Parsed"]
    rejected = outcomes[1]
    assert isinstance(rejected, Rejected)
    assert rejected.field == column
    assert rejected.origin.line == 3


@pytest.mark.parametrize(
    ("content", "why"),
    [
        (b"", "header"),
        (b"record_id,pnc_id\r\nN1,98/1234567L\r\n", "header"),
        (HEAD + HARRIS + b"N2,\xff\xfe\r\n", "not UTF-8"),
    ],
)
def test_a_file_that_is_not_this_format_is_unreadable(content: bytes, why: str) -> None:
    with pytest.raises(FileUnreadable, match=why):
        read(content)


def test_a_byte_order_mark_is_skipped() -> None:
    (harris,) = read(b"\xef\xbb\xbf" + HEAD + HARRIS)
    assert isinstance(harris, Parsed)


def test_every_synthetic_nominal_is_accepted(synthetic: Path) -> None:
    outcomes = read((synthetic / "pnc" / "nominals.csv").read_bytes())
    assert outcomes
    assert all(isinstance(o, Parsed) for o in outcomes), [o for o in outcomes if isinstance(o, Rejected)]
