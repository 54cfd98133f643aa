import csv
import io
import json
import random
import string
from datetime import UTC, datetime, timedelta
from operator import itemgetter
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from precise_ingest.adapters.anpr import FIELDS, AnprAdapter, _read_of, _standard_reads
from precise_ingest.adapters.anpr_columns import SightingChunk
from precise_ingest.adapters.csv_lines import csv_records
from precise_ingest.adapters.port import FileUnreadable, Origin, Publication, Rejected
from precise_ingest.fingerprint import Seen
from precise_ingest.testing import ANPR_READ

from precise_contracts.envelope import Envelope
from precise_contracts.events.ingest import (
    MAX_BATCH_JSON_BYTES,
    MAX_SIGHTINGS_PER_BATCH,
    Direction,
    SourceSystem,
    VehicleSighting,
    VehicleSightingsBatched,
)
from precise_tools.synth.generate import generate

HEADER = ",".join(FIELDS)
SERVICE_BUS_STANDARD_MESSAGE_LIMIT = 256 * 1024
GOOD = ANPR_READ


def csv_line(read: dict[str, object]) -> str:
    return ",".join("" if read.get(name) is None else str(read[name]) for name in FIELDS) + "\r\n"


def chunks_of(content: bytes, *, size: int = 5000, skip: int = 0, **options: str) -> list[SightingChunk]:
    return list(AnprAdapter().read_chunks(io.BytesIO(content), options=options, size=size, skip=skip))


def published(chunks: list[SightingChunk]) -> list[VehicleSightingsBatched]:
    """The events of every chunk, as if the ledger had never seen any of its reads, as a consumer reads them: the
    contract validates their JSON (the adapter builds them without validating them again)."""
    events = [e for c in chunks for e in c.publish([Seen.NEW] * len(c.record_ids)).events]
    assert {e.type for e in events} <= {VehicleSightingsBatched.type}
    return [VehicleSightingsBatched.model_validate_json(e.data_json()) for e in events]


def published_batches(publication: Publication) -> list[VehicleSightingsBatched]:
    return [VehicleSightingsBatched.model_validate_json(e.data_json()) for e in publication.events]


def read_all(content: bytes, **options: str) -> tuple[list[VehicleSighting], list[Rejected]]:
    """The reads a consumer receives and the reads quarantined."""
    chunks = chunks_of(content, **options)
    return [s for e in published(chunks) for s in e.sightings()], [r for c in chunks for r in c.rejects]


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
        chunks = chunks_of((synthetic / "anpr" / name).read_bytes(), size=100)
        assert [r for c in chunks for r in c.rejects] == []
        assert sum(c.read for c in chunks) == sum(len(c.record_ids) for c in chunks) == counts[f"anpr/{name}"]
    planted = json.loads((synthetic / "truth" / "patterns.json").read_text())
    assert planted["county_lines"] or planted["convoys"]


def test_csv_and_json_lines_give_the_same_sighting_and_the_same_content_hash() -> None:
    (csv_chunk,) = chunks_of(f"{HEADER}\r\n{csv_line(GOOD)}".encode())
    (json_chunk,) = chunks_of(json.dumps(GOOD).encode() + b"\n")
    (from_csv,) = published([csv_chunk])[0].sightings()
    (from_json,) = published([json_chunk])[0].sightings()
    assert from_csv == from_json
    assert csv_chunk.record_ids == json_chunk.record_ids == [GOOD["read_id"]]
    assert csv_chunk.digests == json_chunk.digests
    assert from_csv.read_at == datetime(2024, 3, 18, 17, 5, 41, 450000, tzinfo=UTC)
    assert from_csv.read_at.utcoffset() == timedelta(0)
    assert from_csv.confidence == pytest.approx(0.97)
    assert from_csv.direction is Direction.EAST
    assert from_csv.location.description == "Birmingham eastern approach"
    assert (from_csv.location.latitude, from_csv.site_id, from_csv.lane) == (52.4862, "BHM-E", 2)
    assert (from_csv.plate_image, from_csv.overview_image) == (GOOD["plate_image"], GOOD["overview_image"])


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("vrm", "AW18CMG"),
        ("capture_time", "2024-03-18T17:05:41.451+00:00"),
        ("latitude", 52.4863),
        ("lane", 3),
        ("confidence", 96),
        ("plate_image", "images/other.jpg"),
        ("site_name", "Renamed"),
        ("direction", "W"),
    ],
)
def test_any_change_to_a_read_changes_its_content_hash(field: str, value: object) -> None:
    (original,) = chunks_of(json.dumps(GOOD).encode())
    (changed,) = chunks_of(json.dumps({**GOOD, field: value}).encode())
    assert changed.digests != original.digests


def test_a_read_in_an_unusual_but_valid_form_is_normalised_like_any_other() -> None:
    unusual = {**GOOD, "vrm": "aw18 cmf", "confidence": "097", "lane": " 2", "capture_time": "2024-03-18 17:05:41.45Z"}
    (usual_chunk,) = chunks_of(json.dumps(GOOD).encode())
    (unusual_chunk,) = chunks_of(json.dumps(unusual).encode())
    (sighting,) = published([unusual_chunk])[0].sightings()
    assert sighting.vrm == "AW18CMF"
    assert sighting.confidence == pytest.approx(0.97)
    assert unusual_chunk.digests == usual_chunk.digests  # the same read, however it was written


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
        ("read_id", "x" * 129, "at most 128 characters"),
        ("plate_image", "p" * 1025, "at most 1024 characters"),
    ],
)
def test_a_bad_read_is_rejected_with_its_field_and_bytes_while_its_neighbours_are_accepted(
    field: str, value: object, reason: str, as_json: bool
) -> None:
    content = neighbours({**GOOD, field: value}, as_json=as_json)
    sightings, (bad,) = read_all(content)
    assert [s.read_id for s in sightings] == ["before", "after"]
    assert bad.field == field
    assert reason in bad.reason
    assert bad.origin == Origin(2 if as_json else 3, content.splitlines(keepends=True)[bad.origin.line - 1])


def test_json_lines_that_are_not_reads_are_rejected_by_line_and_blank_lines_skipped() -> None:
    content = b'{"read_id": "x"\n\n[1, 2]\n' + json.dumps(GOOD).encode() + b"\n\xff{}\n"
    (chunk,) = chunks_of(content, format="jsonl")
    assert (chunk.read, chunk.record_ids) == (4, [GOOD["read_id"]])
    assert [r.origin.line for r in chunk.rejects] == [1, 3, 5]
    reasons = [r.reason for r in chunk.rejects]
    assert "not JSON" in reasons[0]
    assert "not a JSON object" in reasons[1]
    assert "not UTF-8" in reasons[2]


def test_csv_rows_with_quoted_newlines_keep_all_their_bytes_and_bad_rows_do_not_stop_the_file() -> None:
    quoted = csv_line({**GOOD, "site_name": '"Leeds, ring road\nnorth"'})
    broken = csv_line({**GOOD, "read_id": "r2", "site_name": '"A" name'})
    content = (HEADER + "\n" + quoted + broken + "short,row\n").encode() + b"\xe9"
    sightings, rejects = read_all(content)
    assert [s.location.description for s in sightings] == ["Leeds, ring road\nnorth"]
    second, third, fourth = rejects
    assert "quoting" in second.reason
    assert second.origin.line == 4
    assert "2 fields" in third.reason
    assert fourth.origin == Origin(6, b"\xe9")
    assert "not UTF-8" in fourth.reason


def test_columns_in_another_order_with_one_left_out_and_one_unknown_read_as_the_documented_layout() -> None:
    quoted = {**GOOD, "read_id": "r2", "site_name": "Leeds, ring road"}
    standard = HEADER + "\r\n" + csv_line(GOOD) + csv_line(quoted).replace("Leeds, ring road", '"Leeds, ring road"')
    names = [*reversed([name for name in FIELDS if name != "lane"]), "operator_note"]
    rows = [[str(read[name]) for name in names[:-1]] + ["checked, ok"] for read in (GOOD, quoted)]
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows([names, *rows])

    as_documented, rejects = read_all(standard.encode())
    reordered, others = read_all(out.getvalue().encode())

    assert rejects == others == []
    assert [s.model_copy(update={"lane": None}) for s in as_documented] == reordered


_PLAIN = st.text(alphabet="ab1.-", max_size=4)
_ANY = st.text(alphabet=st.sampled_from('ab ,"\n\r\x00£'), max_size=6)


@settings(max_examples=400, deadline=None)
@given(
    st.lists(
        st.one_of(
            # mostly plain fields, so the split around the position is tried on rows of every shape
            st.lists(st.one_of(_PLAIN, _PLAIN, _PLAIN, _PLAIN, _ANY), min_size=11, max_size=15),
            st.text(alphabet=st.sampled_from('ab ,"\r£'), max_size=40).map(lambda line: [line]),
        ),
        min_size=1,
        max_size=6,
    ),
    st.sampled_from(["utf-8", "cp1252"]),
)
def test_rows_in_the_documented_layout_read_as_any_csv_record_is(rows: list[list[str]], encoding: str) -> None:
    """Split around the camera's position or read by the csv module, a row gives the same values or reject."""
    out = io.StringIO()
    for row in rows:  # a one-field row is written as it is: it may hold a stray quote
        out.write(row[0] + "\r\n" if len(row) == 1 else _written(row))
    content = out.getvalue().encode(encoding, "replace")
    pick = itemgetter(*range(len(FIELDS)))

    lines = content.splitlines(keepends=True)
    records = csv_records(iter([b"header\r\n", *lines]))  # numbered as in a file, from line 2 on
    next(records)

    standard = list(_standard_reads(iter(lines), 1))
    general = [_read_of(record, len(FIELDS), pick, padded=False) for record in records]

    assert standard == [item for item in general if item is not None]


def _written(row: list[str]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerow(row)
    return out.getvalue()


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
        chunks_of(content, **options)


def test_a_bom_before_the_header_is_ignored() -> None:
    sightings, rejects = read_all(b"\xef\xbb\xbf" + f"{HEADER}\n{csv_line(GOOD)}".encode())
    assert (len(sightings), rejects) == (1, [])


def test_a_file_is_read_in_chunks_and_a_resumed_batch_skips_what_was_committed() -> None:
    reads = [{**GOOD, "read_id": f"read-{n}"} for n in range(10)]
    reads[3] = {**reads[3], "vrm": "not a plate"}
    content = "".join(json.dumps(r) + "\n" for r in reads).encode()

    chunks = chunks_of(content, size=4)
    resumed = chunks_of(content, size=4, skip=4)

    assert [c.read for c in chunks] == [4, 4, 2]
    assert [len(c.rejects) for c in chunks] == [1, 0, 0]
    assert [c.record_ids for c in resumed] == [c.record_ids for c in chunks[1:]]


def test_sightings_are_published_in_batches_under_the_contract_maximum_in_file_order() -> None:
    count = 2 * MAX_SIGHTINGS_PER_BATCH + 50
    content = "".join(json.dumps({**GOOD, "read_id": f"read-{n}"}) + "\n" for n in range(count)).encode()
    chunks = chunks_of(content, size=count)
    batches = published(chunks)
    assert all(len(b.read_ids) <= MAX_SIGHTINGS_PER_BATCH for b in batches)
    assert [read_id for b in batches for read_id in b.read_ids] == [f"read-{n}" for n in range(count)]
    assert {b.source.system for b in batches} == {SourceSystem.ANPR}
    assert len({b.batch_id for b in batches}) == len(batches)
    assert [b.batch_id for b in published(chunks)] == [b.batch_id for b in batches]  # the same reads, the same ids


def test_a_batch_names_each_camera_once_from_the_first_chunk_of_a_file_on() -> None:
    elsewhere = {**GOOD, "camera_id": "LDS-N-1", "site_id": "LDS-N", "latitude": 53.8, "longitude": -1.55}
    reads = [{**(GOOD if n % 2 else elsewhere), "read_id": f"read-{n}"} for n in range(40)]
    content = "".join(json.dumps(r) + "\n" for r in reads).encode()

    batches = published(chunks_of(content, size=20))

    assert [[camera.camera_id for camera in b.cameras] for b in batches] == [["LDS-N-1", "BHM-E-1"]] * 2
    assert [b.camera_index for b in batches] == [(0,) * 10 + (1,) * 10] * 2


def test_a_chunk_is_published_camera_by_camera_each_cameras_reads_in_file_order() -> None:
    elsewhere = {**GOOD, "camera_id": "LDS-N-1", "site_id": "LDS-N", "latitude": 53.8, "longitude": -1.55}
    reads = [{**(GOOD if n % 3 else elsewhere), "read_id": f"read-{n}"} for n in range(12)]
    content = "".join(json.dumps(r) + "\n" for r in reads).encode()

    (batch,) = published(chunks_of(content, size=12))

    assert list(batch.read_ids) == [f"read-{n}" for n in (0, 3, 6, 9, 1, 2, 4, 5, 7, 8, 10, 11)]
    assert [s.camera_id for s in batch.sightings()] == ["LDS-N-1"] * 4 + ["BHM-E-1"] * 8


def test_a_chunk_where_a_read_comes_twice_is_published_in_file_order() -> None:
    elsewhere = {**GOOD, "camera_id": "LDS-N-1", "site_id": "LDS-N", "latitude": 53.8, "longitude": -1.55}
    reads = [
        {**GOOD, "read_id": "read-1", "lane": 1},
        {**elsewhere, "read_id": "read-2"},
        {**elsewhere, "read_id": "read-1", "lane": 2},  # the same read, corrected: its camera too
    ]
    content = "".join(json.dumps(r) + "\n" for r in reads).encode()

    batches = published(chunks_of(content, size=3))

    assert [(s.read_id, s.camera_id, s.lane) for b in batches for s in b.sightings()] == [
        ("read-1", "BHM-E-1", 1),
        ("read-2", "LDS-N-1", GOOD["lane"]),
        ("read-1", "LDS-N-1", 2),
    ]


def test_a_batch_of_usual_reads_holds_the_contract_maximum_in_one_compressed_message() -> None:
    reads = [
        {**GOOD, "read_id": f"read-{n}", "plate_image": f"images/2026/03/01/read-{n}-plate.jpg"} for n in range(1_000)
    ]
    content = "".join(json.dumps(r) + "\n" for r in reads).encode()
    (chunk,) = chunks_of(content, size=1_000)
    (event,) = chunk.publish([Seen.NEW] * 1_000).events
    assert event.dataencoding == "zstd"
    assert len(event.data) < len(event.data_json()) / 4


@pytest.mark.parametrize("images", ["repeated", "random"])
def test_every_batch_fits_a_service_bus_message_even_with_the_longest_fields(images: str) -> None:
    """Random image references barely compress: their batches are halved until each body fits."""
    randomly = random.Random(7)

    def image(n: int, kind: str) -> str:
        return kind * 1024 if images == "repeated" else "".join(randomly.choices(string.ascii_letters, k=1024))

    longest = {**GOOD, "camera_id": "C" * 128, "site_id": "S" * 128, "site_name": "N" * 200}
    reads = [
        {
            **longest,
            "read_id": f"{n:0128d}",
            "latitude": 50 + n / 10_000,
            "plate_image": image(n, "p"),
            "overview_image": image(n, "o"),
        }
        for n in range(1_500)
    ]
    content = "".join(json.dumps(r) + "\n" for r in reads).encode()
    (chunk,) = chunks_of(content, size=1_500)
    publication = chunk.publish([Seen.NEW] * 1_500)
    assert publication.published == list(range(1_500))
    for event in publication.events:
        body = Envelope.wrap(event, service="ingest-adapters")
        carried = len(body.data) + sum(len(k) + len(v) for k, v in body.attributes().items())
        assert carried < SERVICE_BUS_STANDARD_MESSAGE_LIMIT
        assert len(event.data_json()) <= MAX_BATCH_JSON_BYTES
    read_ids = [r for b in published_batches(publication) for r in b.read_ids]
    assert sorted(read_ids) == sorted(r["read_id"] for r in reads)


def test_a_second_version_of_a_read_goes_into_the_next_batch_marked_as_an_update() -> None:
    content = (json.dumps(GOOD) + "\n" + json.dumps({**GOOD, "lane": 3}) + "\n").encode()
    (chunk,) = chunks_of(content)
    events = published_batches(chunk.publish([Seen.NEW, Seen.UPDATE]))
    assert [e.is_update for e in events] == [(False,), (True,)]


def test_a_duplicate_read_is_left_out_of_the_events() -> None:
    content = "".join(json.dumps({**GOOD, "read_id": f"read-{n}"}) + "\n" for n in range(3)).encode()
    (chunk,) = chunks_of(content)
    publication = chunk.publish([Seen.NEW, Seen.DUPLICATE, Seen.NEW])
    assert publication.published == [0, 2]
    (event,) = published_batches(publication)
    assert event.read_ids == ("read-0", "read-2")


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
                "plate_image": read["plate_image"] or None,
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
        ("read_id", "  padded  "),
        ("vrm", "aw18 cmf"),
        ("site_id", "  "),
        ("site_name", "y" * 201),
        ("direction", "e"),
        ("plate_image", "   "),
    ],
)
def test_the_adapter_accepts_exactly_what_the_contract_accepts(field: str, value: str) -> None:
    read: dict[str, object] = {name: str(GOOD[name]) for name in FIELDS}
    read[field] = value
    sightings, rejects = read_all(f"{HEADER}\n{csv_line(read)}".encode())
    assert bool(sightings) == contract_accepts(read)
    if rejects:
        assert rejects[0].field == field


def test_a_reads_content_hash_stays_what_earlier_releases_entered_in_the_ledger() -> None:
    # a new hash for the same read would publish every read of a file ingested before as an update
    (usual,) = chunks_of(f"{HEADER}\r\n{csv_line(GOOD)}".encode())
    # an image reference is free text and may hold the unit separator that joins a read's values for hashing
    (separator_in_image,) = chunks_of(json.dumps({**GOOD, "plate_image": "images/R\x1f1-plate.jpg"}).encode() + b"\n")
    assert usual.digests == ["8f0f750fed8a91fa00961910b3e2cef41ff6e858e9fac173a0ea8b45312cdfb4"]
    assert separator_in_image.digests == ["b62138c5fac4b42ccdcbe194aed5166ff7dc42d2eabb09fab15771a44fe6d943"]


def test_a_read_id_holding_a_control_character_is_rejected_naming_the_field() -> None:
    sightings, rejects = read_all(json.dumps({**GOOD, "read_id": "R\x001"}).encode() + b"\n")

    assert sightings == []
    assert [(r.field, r.origin.line) for r in rejects] == [("read_id", 1)]
    assert "'R\\x001'" in rejects[0].reason
