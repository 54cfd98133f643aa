import csv
import hashlib
import io
from pathlib import Path

import pytest
from precise_ingest.adapters.ident1 import Ident1Adapter
from precise_ingest.adapters.port import FileUnreadable, Outcome, Parsed, Rejected

from precise_contracts.events.ingest import BiometricIdentified, SourceSystem
from precise_tools.synth.generate import generate
from precise_tools.synth.sources.ident1 import field_value, tagged_record, type4_record

TYPE2: dict[int, str | tuple[str, ...]] = {
    18: "HARRIS,WILLIAM JAMES",
    22: "19751109",
    24: "M",
    301: "2420BH0100000041278Q",
    302: "98/1234567L",
    303: "123456/98E",
    304: "Y",
    305: "20240318",
    306: ("20", "West Midlands Police"),
}
IMAGE = bytes(range(256))  # holds every separator byte, as real image data does


def transaction(
    type2: dict[int, str | tuple[str, ...]] = TYPE2, *, contents: list[tuple[str, str]] | None = None
) -> bytes:
    """A Type-1, a Type-2 with `type2`'s fields, a Type-4 and a Type-14 record, as the format doc describes."""
    listed = contents or [("2", "00"), ("4", "01"), ("14", "02")]
    type1 = tagged_record(
        1,
        [
            (2, field_value(("0500",))),
            (3, field_value(("1", str(len(listed))), *listed)),
            (4, field_value(("SRE",))),
            (9, field_value(("GB202400004127",))),
            (15, field_value(("003", "UTF-8"))),
        ],
    )
    fields = [(2, field_value(("00",)))]
    fields += [(n, field_value(v if isinstance(v, tuple) else (v,))) for n, v in sorted(type2.items())]
    type14 = tagged_record(14, [(2, field_value(("02",))), (13, field_value(("13",))), (999, IMAGE)])
    return type1 + tagged_record(2, fields) + type4_record(1, 2, 16, 16, IMAGE) + type14


def read_one(content: bytes) -> Outcome:
    (outcome,) = Ident1Adapter().read(io.BytesIO(content), options={})
    return outcome


def test_synthetic_transactions_parse_without_rejects_and_match_the_ground_truth(tmp_path: Path) -> None:
    generate(tmp_path, people=30, seed=11)
    with (tmp_path / "truth" / "persons.csv").open() as truth:
        tcns = {row["source_record_id"] for row in csv.DictReader(truth) if row["source_system"] == "ident1"}
    parsed = []
    for path in sorted((tmp_path / "ident1").glob("*.nist")):
        with path.open("rb") as data:
            (outcome,) = Ident1Adapter().read(data, options={})
        assert isinstance(outcome, Parsed), outcome
        assert outcome.record_id == path.stem
        parsed.append(outcome)
    assert {p.record_id for p in parsed} == tcns
    events = list(Ident1Adapter().events(parsed))
    assert len(events) == len(tcns)
    for event in events:
        assert isinstance(event, BiometricIdentified)
        assert len(event.images) == 3  # two Type-4 and one Type-14
        assert event.identified == (event.pnc_id is not None)


def test_the_type2_fields_become_the_event() -> None:
    outcome = read_one(transaction())
    assert isinstance(outcome, Parsed)
    event = outcome.record
    assert isinstance(event, BiometricIdentified)
    assert outcome.record_id == "GB202400004127"
    assert event.source.system is SourceSystem.IDENT1
    assert event.source.key() == "ident1:GB202400004127"
    assert str(event.source.recorded_on) == str(event.identified_on) == "2024-03-18"
    assert (event.asn, event.pnc_id, event.cro_number, event.identified) == (
        "2420BH0100000041278Q",
        "98/1234567L",
        "123456/98E",
        True,
    )
    assert (event.force.code, event.force.name) == ("20", "West Midlands Police")


def test_image_records_are_attached_by_the_hash_of_their_exact_bytes_and_referenced() -> None:
    content = transaction()
    outcome = read_one(content)
    assert isinstance(outcome, Parsed)
    assert isinstance(outcome.record, BiometricIdentified)
    images = outcome.record.images
    assert len(images) == 2
    type4, type14 = (outcome.attachments[image.key] for image in images)
    assert content.endswith(type4 + type14)
    assert type4 == type4_record(1, 2, 16, 16, IMAGE)
    assert type14.startswith(b"14.001:")
    assert type14.endswith(IMAGE + b"\x1c")
    for image in images:
        assert image.sha256 == image.key == hashlib.sha256(outcome.attachments[image.key]).hexdigest()


def test_the_content_hash_changes_with_the_content_and_not_otherwise() -> None:
    first, again = read_one(transaction()), read_one(transaction())
    changed = read_one(transaction({**TYPE2, 305: "20240319"}))
    hashes = [
        o.record.source.content_hash
        for o in (first, again, changed)
        if isinstance(o, Parsed) and isinstance(o.record, BiometricIdentified)
    ]
    assert len(hashes) == 3
    assert hashes[0] == hashes[1] != hashes[2]


def corrupt_type2_len(content: bytes) -> bytes:
    start = content.index(b"2.001:")
    length = int(content[start + 6 : content.index(b"\x1d", start)])
    return content.replace(f"2.001:{length}".encode(), f"2.001:{length + 1}".encode())


@pytest.mark.parametrize(
    ("content", "field", "reason"),
    [
        (corrupt_type2_len(transaction()), "2.001", "does not end on the record's FS"),
        (transaction()[:-5], "14.001", "does not end on the record's FS"),
        (transaction() + b"extra", "1.003", "5 bytes follow the last record"),
        (transaction(contents=[("2", "00"), ("4", "01")]), "1.003", "follow the last record"),
        (transaction(contents=[("2", "00"), ("4", "01"), ("14", "02"), ("10", "03")]), "1.003", "missing"),
        (transaction(contents=[("2", "00"), ("4", "01"), ("77", "02")]), "1.003", "not ANSI/NIST"),
        (transaction(contents=[("2", "00"), ("7", "01"), ("14", "02")]), "1.003", "binary Type-7"),
        (transaction(contents=[("2", "00"), ("4", "05"), ("14", "02")]), "4.002", "IDC 1 but 1.003 lists IDC 5"),
        (transaction({**TYPE2, 301: "2420BH0100000041278A"}), "2.301", "check letter"),
        (transaction({**TYPE2, 302: "98/1234567A"}), "2.302", "check letter"),
        (transaction({k: v for k, v in TYPE2.items() if k not in (302, 303)}), "2.304", "needs a pnc_id"),
        (transaction({**TYPE2, 304: "MAYBE"}), "2.304", "Y or N"),
        (transaction({**TYPE2, 305: "20241318"}), "2.305", "not a date"),
        (transaction({k: v for k, v in TYPE2.items() if k != 18}), "2.018", "missing"),
        (transaction({**TYPE2, 306: ("West Midlands Police",)}), "2.306", "two items"),
    ],
    ids=lambda value: value if isinstance(value, str) and len(value) < 30 else "",
)
def test_a_malformed_transaction_is_rejected_with_its_bytes_field_and_reason(
    content: bytes, field: str, reason: str
) -> None:
    outcome = read_one(content)
    assert isinstance(outcome, Rejected)
    assert outcome.field == field
    assert reason in outcome.reason
    assert outcome.origin.raw == content


def test_a_transaction_without_cnt_is_rejected() -> None:
    content = tagged_record(1, [(2, field_value(("0500",))), (9, field_value(("GB202400004127",)))])
    outcome = read_one(content)
    assert isinstance(outcome, Rejected)
    assert outcome.field == "1.003"
    assert "no 1.003" in outcome.reason


@pytest.mark.parametrize("content", [b"", b"%PDF-1.7\n", b"2.001:10\x1d2.002:00\x1c"])
def test_a_file_that_is_not_ansi_nist_is_unreadable(content: bytes) -> None:
    with pytest.raises(FileUnreadable, match="not an ANSI/NIST"):
        read_one(content)
