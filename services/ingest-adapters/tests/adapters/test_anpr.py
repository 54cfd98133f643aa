import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from precise_ingest.adapters.anpr import FIELDS, AnprAdapter, iter_sightings_json
from precise_ingest.adapters.port import FileUnreadable, Origin, Outcome, Parsed, Rejected

from precise_contracts.events.ingest import (
    MAX_SIGHTINGS_PER_BATCH,
    Direction,
    SourceSystem,
    VehicleSighting,
    VehicleSightingsBatched,
)
from precise_tools.synth.generate import generate

HEADER = ",".join(FIELDS)
GOOD = {
    "read_id": "3f0c6a52-8d7e-4b1e-9a43-6f2d1c0b7e91",
    "vrm": "AW18CMF",
    "capture_time": "2024-03-18T17:05:41.450+00:00",
    "camera_id": "BHM-E-1",
    "site_id": "BHM-E",
    "site_name": "Birmingham eastern approach",
    "latitude": 52.4862,
    "longitude": -1.853504,
    "lane": 2,
    "direction": "E",
    "confidence": 97,
    "plate_image": "images/2024/03/18/x-plate.jpg",
    "overview_image": "images/2024/03/18/x-overview.jpg",
}


def csv_line(read: dict[str, object]) -> str:
    return ",".join("" if read.get(name) is None else str(read[name]) for name in FIELDS) + "\r\n"


def read_all(content: bytes, **options: str) -> list[Outcome]:
    return list(AnprAdapter().read(io.BytesIO(content), options=options))


def neighbours(read: dict[str, object], *, as_json: bool) -> bytes:
    """The bad read between two good ones, in CSV (with header) or JSON lines."""
    reads = [{**GOOD, "read_id": "before"}, read, {**GOOD, "read_id": "after"}]
    if as_json:
        return "".join(json.dumps(r) + "\n" for r in reads).encode()
    return (HEADER + "\r\n" + "".join(csv_line(r) for r in reads)).encode()


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("synth")
    generate(out, people=30, seed=11)
    return out


def test_synthetic_exports_parse_without_rejects_and_match_the_counts(synthetic: Path) -> None:
    counts = json.loads((synthetic / "synth.json").read_text())["files"]
    for name in ("reads.csv", "reads.jsonl"):
        with (synthetic / "anpr" / name).open("rb") as data:
            outcomes = list(AnprAdapter().read(data, options={}))
        assert [o for o in outcomes if isinstance(o, Rejected)] == []
        assert len(outcomes) == counts[f"anpr/{name}"]
    planted = json.loads((synthetic / "truth" / "patterns.json").read_text())
    assert planted["county_lines"] or planted["convoys"]


def test_csv_and_json_lines_give_the_same_sighting() -> None:
    (from_csv,) = read_all(f"{HEADER}\r\n{csv_line(GOOD)}".encode())
    (from_json,) = read_all(json.dumps(GOOD).encode() + b"\n")
    assert isinstance(from_csv, Parsed)
    assert isinstance(from_json, Parsed)
    assert from_csv.record == from_json.record
    sighting = from_csv.record
    assert isinstance(sighting, VehicleSighting)
    assert from_csv.record_id == GOOD["read_id"]
    assert sighting.read_at == datetime(2024, 3, 18, 17, 5, 41, 450000, tzinfo=UTC)
    assert sighting.read_at.utcoffset() == timedelta(0)
    assert sighting.confidence == pytest.approx(0.97)
    assert sighting.direction is Direction.EAST
    assert sighting.location.description == "Birmingham eastern approach"
    assert (sighting.location.latitude, sighting.site_id, sighting.lane) == (52.4862, "BHM-E", 2)
    assert from_csv.origin == Origin(2, csv_line(GOOD).encode())


@pytest.mark.parametrize("as_json", [False, True], ids=["csv", "jsonl"])
@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("vrm", "W1234567", "matches no UK registration format"),  # a foreign plate
        ("vrm", "AI18CMF", "never issues I, Q or Z"),
        ("capture_time", "2024-03-18T17:05:41.450", "no UTC offset"),
        ("capture_time", "18/03/2024 17:05", "not an ISO 8601"),
        ("confidence", 101, "outside 0-100"),
        ("confidence", -3, "per cent"),
        ("confidence", "97.5", "not a whole number"),
        ("camera_id", None, "missing"),
        ("latitude", 48.1, "outside the UK"),
        ("longitude", "nan", "finite number"),
        ("lane", 25, "less than or equal to 20"),
        ("direction", "up", "Input should be"),
    ],
)
def test_a_bad_read_is_rejected_with_its_field_and_bytes_while_its_neighbours_are_accepted(
    field: str, value: object, reason: str, as_json: bool
) -> None:
    content = neighbours({**GOOD, field: value}, as_json=as_json)
    before, bad, after = read_all(content)
    assert isinstance(before, Parsed)
    assert isinstance(after, Parsed)
    assert [before.record_id, after.record_id] == ["before", "after"]
    assert isinstance(bad, Rejected)
    assert bad.field == field
    assert reason in bad.reason
    assert bad.origin == Origin(2 if as_json else 3, content.splitlines(keepends=True)[bad.origin.line - 1])


def test_json_lines_that_are_not_reads_are_rejected_by_line_and_blank_lines_skipped() -> None:
    content = b'{"read_id": "x"\n\n[1, 2]\n' + json.dumps(GOOD).encode() + b"\n\xff{}\n"
    outcomes = read_all(content, format="jsonl")
    assert [(o.origin.line, type(o).__name__) for o in outcomes] == [
        (1, "Rejected"),
        (3, "Rejected"),
        (4, "Parsed"),
        (5, "Rejected"),
    ]
    reasons = [o.reason for o in outcomes if isinstance(o, Rejected)]
    assert "not JSON" in reasons[0]
    assert "not a JSON object" in reasons[1]
    assert "not UTF-8" in reasons[2]


def test_csv_rows_with_quoted_newlines_keep_all_their_bytes_and_bad_rows_do_not_stop_the_file() -> None:
    quoted = csv_line({**GOOD, "site_name": '"Leeds, ring road\nnorth"'})
    broken = csv_line({**GOOD, "read_id": "r2", "site_name": '"A" name'})
    content = (HEADER + "\n" + quoted + broken + "short,row\n").encode() + b"\xe9"
    first, second, third, fourth = read_all(content)
    assert isinstance(first, Parsed)
    assert isinstance(first.record, VehicleSighting)
    assert first.record.location.description == "Leeds, ring road\nnorth"
    assert first.origin == Origin(2, quoted.encode())
    assert isinstance(second, Rejected)
    assert "quoting" in second.reason
    assert second.origin.line == 4
    assert isinstance(third, Rejected)
    assert "2 fields" in third.reason
    assert isinstance(fourth, Rejected)
    assert fourth.origin == Origin(6, b"\xe9")
    assert "not UTF-8" in fourth.reason


@pytest.mark.parametrize(
    ("content", "options", "reason"),
    [
        (b"", {}, "empty"),
        (b"read_id,vrm,capture_time\r\n", {}, "latitude"),
        (b"\xef\xbb\xbfnot,an,anpr,file\n", {}, "camera_id"),
        (b"{}", {"format": "xml"}, "xml"),
    ],
)
def test_files_that_cannot_be_read_at_all_fail_whole(content: bytes, options: dict[str, str], reason: str) -> None:
    with pytest.raises(FileUnreadable, match=reason):
        read_all(content, **options)


def test_a_bom_before_the_header_is_ignored() -> None:
    (outcome,) = read_all(b"\xef\xbb\xbf" + f"{HEADER}\n{csv_line(GOOD)}".encode())
    assert isinstance(outcome, Parsed)


def test_reads_from_a_json_batch_body_have_their_position_and_json_as_origin() -> None:
    reads: list[object] = [GOOD, {**GOOD, "vrm": "12345678"}, "not a read"]
    outcomes = list(iter_sightings_json(reads))
    assert [type(o) for o in outcomes] == [Parsed, Rejected, Rejected]
    assert [o.origin.line for o in outcomes] == [1, 2, 3]
    assert json.loads(outcomes[1].origin.raw) == reads[1]
    assert isinstance(outcomes[1], Rejected)
    assert outcomes[1].field == "vrm"


def test_sightings_are_published_in_batches_of_at_most_the_contract_maximum() -> None:
    count = 2 * MAX_SIGHTINGS_PER_BATCH + 50
    content = "".join(json.dumps({**GOOD, "read_id": f"read-{n}"}) + "\n" for n in range(count)).encode()
    parsed = [o for o in read_all(content) if isinstance(o, Parsed)]
    events = list(AnprAdapter().events(parsed))
    assert all(isinstance(e, VehicleSightingsBatched) for e in events)
    batches = [e for e in events if isinstance(e, VehicleSightingsBatched)]
    assert [len(b.sightings) for b in batches] == [MAX_SIGHTINGS_PER_BATCH, MAX_SIGHTINGS_PER_BATCH, 50]
    assert [s.read_id for b in batches for s in b.sightings] == [f"read-{n}" for n in range(count)]
    assert {b.source.system for b in batches} == {SourceSystem.ANPR}
    assert len({b.batch_id for b in batches}) == 3
    again = list(AnprAdapter().events(parsed))
    assert [b.batch_id for b in again if isinstance(b, VehicleSightingsBatched)] == [b.batch_id for b in batches]


def test_a_second_version_of_a_read_goes_into_the_next_batch() -> None:
    content = (json.dumps(GOOD) + "\n" + json.dumps({**GOOD, "lane": 3}) + "\n").encode()
    parsed = [o for o in read_all(content) if isinstance(o, Parsed)]
    events = list(AnprAdapter().events(parsed))
    assert [len(e.sightings) for e in events if isinstance(e, VehicleSightingsBatched)] == [1, 1]


def contract_accepts(read: dict[str, object]) -> bool:
    """Whether the contract itself takes the read, its fields given to it as the file wrote them."""
    try:
        VehicleSighting.model_validate(
            {
                "read_id": read["read_id"],
                "vrm": read["vrm"],
                "read_at": read["capture_time"],
                "camera_id": read["camera_id"],
                "site_id": read["site_id"],
                "lane": read["lane"],
                "direction": read["direction"],
                "location": {
                    "latitude": read["latitude"],
                    "longitude": read["longitude"],
                    "description": read["site_name"],
                },
            }
        )
    except ValueError:
        return False
    return True


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("latitude", "1e400"),
        ("latitude", " 52.5 "),
        ("latitude", "52.5.1"),
        ("latitude", "60.95"),
        ("lane", "0"),
        ("lane", "2.0"),
        ("lane", "two"),
        ("read_id", "   "),
        ("read_id", "x" * 129),
        ("vrm", "aw18 cmf"),
        ("site_id", "  "),
        ("site_name", "y" * 201),
        ("direction", "e"),
    ],
)
def test_the_adapter_accepts_exactly_what_the_contract_accepts(field: str, value: str) -> None:
    read: dict[str, object] = {name: str(GOOD[name]) for name in FIELDS}
    read[field] = value
    (outcome,) = read_all(f"{HEADER}\n{csv_line(read)}".encode())
    assert isinstance(outcome, Parsed) == contract_accepts(read)
    if isinstance(outcome, Rejected):
        assert outcome.field == field
