"""The legacy adapter on the synthetic exports (custody CSV, intelligence fixed-width, incidents JSON) and on
small hand-written files with the edge cases real exports have."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from datetime import date
from pathlib import Path

import pytest
from precise_ingest.adapters.legacy import LegacyAdapter
from precise_ingest.adapters.mappings import LegacyMapping, parse_mapping, shipped_mappings
from precise_ingest.adapters.port import FileUnreadable, Outcome, Parsed, Rejected

from precise_contracts.events.ingest import (
    IncidentRecorded,
    IntelligenceRecorded,
    PersonRecordObserved,
    SourceSystem,
    SubjectKind,
)
from precise_tools.synth.generate import generate

ADAPTER = LegacyAdapter()


@pytest.fixture(scope="module")
def synth(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("synth")
    generate(out, people=60, seed=7)
    return out


def mapping(name: str, **changes: str) -> LegacyMapping:
    text = shipped_mappings()[name].text
    for old, new in changes.items():
        text = text.replace(old, new)
    return parse_mapping(text, source=f"{name}.yaml")


def read(data: bytes, with_mapping: LegacyMapping) -> list[Outcome]:
    return list(ADAPTER.read(io.BytesIO(data), options={"mapping": with_mapping}))


def truth_ids(synth: Path, source: str) -> list[str]:
    with (synth / "truth/persons.csv").open(encoding="utf-8") as file:
        return [row["source_record_id"] for row in csv.DictReader(file) if row["source_system"] == source]


def accepted(outcomes: Sequence[Outcome]) -> list[Parsed]:
    assert [o for o in outcomes if isinstance(o, Rejected)] == []
    return [o for o in outcomes if isinstance(o, Parsed)]


def physical_lines(data: bytes, outcome: Outcome) -> bytes:
    """The file's bytes from the outcome's line for as many lines as its raw bytes span."""
    lines = data.split(b"\n")
    first = outcome.origin.line - 1
    return b"\n".join(lines[first : first + outcome.origin.raw.count(b"\n") + 1]).removesuffix(b"\r")


def test_the_synthetic_custody_export_gives_one_person_record_per_arrest_with_its_own_lines_and_bytes(
    synth: Path,
) -> None:
    data = (synth / "legacy/custody.csv").read_bytes()
    assert b"\r\n" in data
    assert b"\n" in data.replace(b"\r\n", b"")

    parsed = accepted(read(data, mapping("custody")))

    assert [p.record_id for p in parsed] == truth_ids(synth, "legacy/custody")
    assert any(p.origin.raw.count(b"\n") >= 2 for p in parsed)  # some records span several lines
    for p in parsed:
        assert physical_lines(data, p) == p.origin.raw
        record = p.record
        assert isinstance(record, PersonRecordObserved)
        assert record.source.key() == f"legacy/custody:{p.record_id}"
        recorded, review = record.source.recorded_on, record.source.review_by
        assert review is not None
        assert (review.year - recorded.year, review.month) == (6, recorded.month)
        assert record.addresses[0].town
        assert "\n" not in "".join(record.addresses[0].lines)


def test_the_synthetic_intelligence_export_gives_a_report_and_its_subject_per_line(synth: Path) -> None:
    data = (synth / "legacy/intel.dat").read_bytes()

    parsed = accepted(read(data, mapping("intel")))
    events = list(ADAPTER.events(parsed))

    assert [p.record_id for p in parsed] == truth_ids(synth, "legacy/intel")
    assert [p.origin.line for p in parsed] == list(range(1, len(parsed) + 1))
    reports = [e for e in events if isinstance(e, IntelligenceRecorded)]
    people = [e for e in events if isinstance(e, PersonRecordObserved)]
    assert len(reports) == len(people) == len(parsed)
    for report, person in zip(reports, people, strict=True):
        assert person.source == report.source  # the same record, key and content hash
        assert report.subjects[0].kind is SubjectKind.PERSON
        assert report.subjects[0].value.startswith(person.names[0].surname)
        assert (report.grading.handling_code == "C") == (report.grading.handling_conditions is not None)


def test_the_synthetic_incident_export_with_a_bom_gives_every_incident(synth: Path) -> None:
    data = (synth / "legacy/incidents.json").read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    with (synth / "truth/incidents.csv").open(encoding="utf-8") as file:
        truth = [row["incident_ref"] for row in csv.DictReader(file)]

    parsed = accepted(read(data, mapping("incidents")))

    assert [p.record_id for p in parsed] == truth
    for position, p in enumerate(parsed, start=1):
        assert p.origin.line == position
        assert json.loads(p.origin.raw)["ref"] == p.record_id
        assert isinstance(p.record, IncidentRecorded)
        assert p.record.occurred_at.tzinfo is not None


CUSTODY = (
    "CUSTODY_REF,ASN,ARREST_DATE,SURNAME,FORENAMES,DOB,GENDER,ADDRESS,POSTCODE,TEL,NINO,PNC_NO,RISK_FLAGS,NOTES\r\n"
    'BAN/16/000024,1643BA0100000000024H,21/01/2016 20:11,O\u2019Sullivan,Jessica,22/09/1996,FEMALE,"224 Williams Way\n'
    'Banbury",OX6 2NN,01632 960940,,,,\r\n'
    'BHM/23/000142,2320BH0100000000142D,14/10/2023 23:52,HARRIS,Bill,09/11/1975,MALE,"Flat 3\n48 Keller Close\n'
    'Leeds",LS11 5DW,07700 900461,JK 28 47 16 B,1998/1234567L,"VIOL, WEAP","Property: £20 cash, keys."\r\n'
    'BHM/23/000143,2320BH0100000000143F,15/10/2023 01:10,Desirée,Renée,01/02/1990,FEMALE,"Flat 1\nLeeds",'
    "LS1 1AA,,,,KNIF,\r\n"
    'BHM/23/000144,2320BH0100000000144H,31/02/2023 02:00,Mellor,Robin,14/11/2006,MALE,"1 Grove\nLeeds",'
    "LS17 5PY,,,,,\r\n"
    'LIN/23/000051,2332LI0100000000051V,06/09/2023 03:06,Mellor,Robin,14/11/2006,MALE,"202 Thompson Grove\n'
    'Leeds",LS17 5PY,07700 900430,,,,"Complained of chest pain; FME called.\nSeen and fit to detain."\r\n'
)


def test_the_worked_custody_example_maps_as_documented() -> None:
    outcomes = read(CUSTODY.encode("cp1252"), mapping("custody"))
    harris = outcomes[1]
    assert isinstance(harris, Parsed)
    assert harris.origin.line == 4
    record = harris.record
    assert isinstance(record, PersonRecordObserved)
    assert record.source.system is SourceSystem.LEGACY
    assert record.source.legacy_system == "custody"
    assert (record.source.recorded_on, record.source.review_by) == (date(2023, 10, 14), date(2029, 10, 14))
    assert (record.names[0].surname, record.names[0].forenames) == ("HARRIS", ("Bill",))
    assert record.dates_of_birth == (date(1975, 11, 9),)
    assert record.sex == "male"
    address = record.addresses[0]
    assert (address.lines, address.town, address.postcode) == (("Flat 3", "48 Keller Close"), "Leeds", "LS11 5DW")
    assert record.phones == ("+447700900461",)
    assert (record.identifiers.ni_number, record.identifiers.pnc_id) == ("JK284716B", "98/1234567L")
    assert [(m.code, m.recorded_on) for m in record.warning_markers] == [
        ("VI", date(2023, 10, 14)),
        ("WE", date(2023, 10, 14)),
    ]
    first = outcomes[0]
    assert isinstance(first, Parsed)
    assert isinstance(first.record, PersonRecordObserved)
    assert first.record.names[0].surname == "O\u2019Sullivan"


def test_a_bad_code_or_date_rejects_only_its_record_naming_the_column() -> None:
    data = CUSTODY.encode("cp1252")
    outcomes = read(data, mapping("custody"))

    assert [type(o).__name__ for o in outcomes] == ["Parsed", "Parsed", "Rejected", "Rejected", "Parsed"]
    unknown, bad_date = outcomes[2], outcomes[3]
    assert isinstance(unknown, Rejected)
    assert isinstance(bad_date, Rejected)
    assert (unknown.field, unknown.reason) == (
        "RISK_FLAGS",
        "warning_markers: unknown code 'KNIF' in column RISK_FLAGS",
    )
    assert bad_date.field == "ARREST_DATE"
    assert bad_date.reason == (
        "recorded_date: '31/02/2023 02:00' in column ARREST_DATE is not a date in the format '%d/%m/%Y %H:%M'"
    )
    assert unknown.origin.raw == physical_lines(data, unknown)
    assert unknown.origin.raw.startswith(b"BHM/23/000143,")
    assert (unknown.origin.line, bad_date.origin.line, outcomes[4].origin.line) == (7, 9, 11)


def test_an_invalid_identifier_is_rejected_with_its_target_column_and_reason() -> None:
    text = CUSTODY.replace("1998/1234567L", "1998/1234567A")
    rejected = read(text.encode("cp1252"), mapping("custody"))[1]
    assert isinstance(rejected, Rejected)
    assert rejected.field == "PNC_NO"
    assert rejected.reason.startswith("pnc_id: '1998/1234567A' in column PNC_NO: ")
    assert "check letter" in rejected.reason


def test_utf8_with_a_bom_and_cp1252_give_the_same_records_when_the_mapping_says_auto() -> None:
    auto = mapping("custody", **{"encoding: cp1252": "encoding: auto"})
    from_utf8 = read(CUSTODY.encode("utf-8-sig"), auto)
    from_cp1252 = read(CUSTODY.encode("cp1252"), auto)
    assert [getattr(o, "record", None) for o in from_utf8] == [getattr(o, "record", None) for o in from_cp1252]
    desiree = read(CUSTODY.replace("KNIF", "").encode("utf-8-sig"), auto)[2]
    assert isinstance(desiree, Parsed)
    assert isinstance(desiree.record, PersonRecordObserved)
    assert (desiree.record.names[0].surname, desiree.record.names[0].forenames) == ("Desirée", ("Renée",))


def test_a_header_without_the_mapped_columns_makes_the_file_unreadable() -> None:
    text = CUSTODY.replace("SURNAME,FORENAMES", "FAMILY_NAME,GIVEN_NAMES", 1)
    with pytest.raises(FileUnreadable, match=r"lacks the column\(s\) SURNAME, FORENAMES"):
        read(text.encode("cp1252"), mapping("custody"))
    with pytest.raises(FileUnreadable, match=r"byte 3 \(0x81\) is not valid cp1252"):
        read(b"ABC\x81", mapping("custody"))


def test_a_row_with_the_wrong_number_of_fields_or_a_broken_quote_is_rejected_and_the_rest_read() -> None:
    header, *_ = CUSTODY.split("\r\n")
    good = CUSTODY.split("\r\n", 1)[1]
    text = header + "\r\nXYZ/1,too,few\r\n" + good + 'BAD/1,"unterminated\r\n'
    outcomes = read(text.encode("cp1252"), mapping("custody"))
    short, last = outcomes[0], outcomes[-1]
    assert isinstance(short, Rejected)
    assert short.reason == "the row has 3 fields, the header 14"
    assert short.origin == short.origin.__class__(line=2, raw=b"XYZ/1,too,few")
    assert isinstance(last, Rejected)
    assert last.reason.startswith("not CSV")
    assert last.origin.raw == b'BAD/1,"unterminated'
    assert len(outcomes) == 7


def test_fixed_width_lines_short_of_trailing_spaces_and_blank_lines_are_read(synth: Path) -> None:
    lines = (synth / "legacy/intel.dat").read_bytes().split(b"\n")[:2]
    data = lines[0].rstrip() + b"\r\n\r\n   \n" + lines[1] + b"\n"
    outcomes = read(data, mapping("intel"))
    assert [o.origin.line for o in accepted(outcomes)] == [1, 4]
    assert outcomes[0].origin.raw == lines[0].rstrip()


def test_json_records_that_are_not_objects_are_rejected_and_a_broken_document_is_unreadable() -> None:
    document = {
        "incidents": [
            {
                "ref": "CAD-1",
                "type": "BURG",
                "occurred": "2024-03-31 01:30",
                "opened": "2024-03-31 09:00",
                "location": {"premises": "1 High St", "lat": 51.5, "lon": -0.1},
            },
            ["not", "a", "record"],
            {
                "ref": "CAD-3",
                "type": "BURG",
                "occurred": "2024-03-31 01:30",
                "opened": "2024-03-31 09:00",
                "location": {"premises": "1 High St", "lat": 51.5},
            },
        ]
    }
    outcomes = read(json.dumps(document).encode(), mapping("incidents"))
    first, listed, half = outcomes
    assert isinstance(first, Parsed)
    assert isinstance(first.record, IncidentRecorded)
    assert first.record.occurred_at.isoformat() == "2024-03-31T01:30:00+00:00"  # before the clocks went forward
    assert first.record.reported_at.isoformat() == "2024-03-31T09:00:00+01:00"  # after: BST
    assert isinstance(listed, Rejected)
    assert listed.reason == "a record is a JSON object, not an array"
    assert listed.origin.line == 2
    assert json.loads(listed.origin.raw) == ["not", "a", "record"]
    assert isinstance(half, Rejected)
    assert half.field == "location.lat"
    with pytest.raises(FileUnreadable, match="not JSON"):
        read(b'{"incidents": [', mapping("incidents"))
    with pytest.raises(FileUnreadable, match=r"json\.records 'incidents' is not an array"):
        read(b'{"incidents": {}}', mapping("incidents"))


def test_json_lines_reject_a_broken_line_and_read_the_others() -> None:
    lines_mapping = mapping("incidents", **{"records: incidents": "lines: true"})
    good = '{"ref": "CAD-9", "type": "ASB", "occurred": "2024-01-01 22:00", "opened": "2024-01-01 22:05",'
    good += ' "location": {"premises": "9 Low Rd, Flat 2", "postcode": "LS1 1AA"}}'
    outcomes = read(f"{good}\n{{broken\n\n{good}\n".encode(), lines_mapping)
    assert [(type(o).__name__, o.origin.line) for o in outcomes] == [("Parsed", 1), ("Rejected", 2), ("Parsed", 4)]
    first = outcomes[0]
    assert isinstance(first, Parsed)
    assert isinstance(first.record, IncidentRecorded)
    assert first.record.address is not None
    assert first.record.address.lines == ("9 Low Rd", "Flat 2")


def test_the_content_hash_follows_the_content_not_the_bytes() -> None:
    plain = accepted(read(CUSTODY.replace("KNIF", "").replace("31/02", "28/02").encode("cp1252"), mapping("custody")))
    respaced = CUSTODY.replace("KNIF", "").replace("31/02", "28/02").replace("JK 28 47 16 B", "JK284716B")
    again = accepted(read(respaced.encode("utf-8"), mapping("custody", **{"encoding: cp1252": "encoding: auto"})))
    changed = accepted(
        read(
            respaced.replace("LS11 5DW", "LS11 5DX").encode(),
            mapping("custody", **{"encoding: cp1252": "encoding: auto"}),
        )
    )
    hashes = [[p.record.source.content_hash for p in run] for run in (plain, again, changed)]  # type: ignore[attr-defined]
    assert hashes[0] == hashes[1]
    assert [a == b for a, b in zip(hashes[1], hashes[2], strict=True)] == [True, False, True, True, True]
