"""ANPR reads: one field list in two encodings, as docs/formats/anpr-reads.md defines them."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from precise_contracts.values import parse_vrm
from precise_tools.synth.sources.anpr import FIELDS

DOC = Path(__file__).parents[4] / "docs" / "formats" / "anpr-reads.md"
BST_STARTS = datetime(2024, 3, 31, 1, tzinfo=UTC)
DIRECTIONS = {"N", "NE", "E", "SE", "S", "SW", "W", "NW"}


def test_both_encodings_carry_the_documented_fields_in_order(world: Path) -> None:
    header = (world / "anpr" / "reads.csv").read_text().splitlines()[0]
    first_json = json.loads((world / "anpr" / "reads.jsonl").read_text().splitlines()[0])

    assert header == ",".join(FIELDS)
    assert f"\n{header}\n" in DOC.read_text()
    assert tuple(first_json) == FIELDS


def test_the_documented_examples_are_the_same_reads_in_both_encodings() -> None:
    text = DOC.read_text()
    from_csv = list(csv.DictReader(io.StringIO(text.split("```csv\n")[1].split("```")[0])))
    from_json = [json.loads(line) for line in text.split("```json\n")[1].split("```")[0].splitlines()]

    assert len(from_csv) == len(from_json) == 2
    for row, obj in zip(from_csv, from_json, strict=True):
        assert tuple(obj) == FIELDS
        assert row == {key: str(value) for key, value in obj.items()}


def test_every_read_is_valid(anpr_reads: list[dict[str, Any]]) -> None:
    for read in anpr_reads:
        assert parse_vrm(read["vrm"]) == read["vrm"]
        assert 49.8 < read["latitude"] < 60.9
        assert -8.7 < read["longitude"] < 1.8
        assert 1 <= read["lane"] <= 3
        assert read["direction"] in DIRECTIONS
        assert 0 <= read["confidence"] <= 100
        assert read["plate_image"].endswith(f"{read['read_id']}-plate.jpg")
    assert len({read["read_id"] for read in anpr_reads}) == len(anpr_reads)


def test_capture_times_carry_the_uk_offset_of_their_day(anpr_reads: list[dict[str, Any]]) -> None:
    offsets = set()
    for read in anpr_reads:
        moment = datetime.fromisoformat(read["capture_time"])
        expected = timedelta(hours=1) if moment >= BST_STARTS else timedelta(0)
        assert moment.utcoffset() == expected, read["capture_time"]
        offsets.add(read["capture_time"][-6:])

    assert offsets == {"+00:00", "+01:00"}


def test_split_layout_puts_northern_sites_in_json_lines_and_the_rest_in_csv(world: Path) -> None:
    with (world / "anpr" / "reads.csv").open(newline="") as file:
        southern = [float(row["latitude"]) for row in csv.DictReader(file)]
    northern = [json.loads(line)["latitude"] for line in (world / "anpr" / "reads.jsonl").read_text().splitlines()]

    assert southern
    assert northern
    assert max(southern) < 53.0 <= min(northern)
