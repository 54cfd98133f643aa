"""The PNC nominal export is exactly the layout docs/formats/pnc-nominal.md defines, with valid identifiers."""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from datetime import date
from pathlib import Path

import pytest

from precise_contracts.codes.warning_markers import parse_warning_code
from precise_contracts.events.ingest.identifiers import parse_driving_licence
from precise_contracts.values import parse_cro_number, parse_ni_number, parse_pnc_id, parse_postcode
from precise_tools.synth.sources.pnc import HEADER

DOC = Path(__file__).parents[4] / "docs" / "formats" / "pnc-nominal.md"
ENTRY = re.compile(r"(?P<code>[A-Z]{2}):(?P<date>\d{4}-\d{2}-\d{2})")


def check_nominal(row: dict[str, str]) -> None:
    """Every rule of the format document that a parser would enforce."""
    assert row["record_id"]
    assert parse_pnc_id(row["pnc_id"]) == row["pnc_id"]
    if row["cro_number"]:
        assert parse_cro_number(row["cro_number"]) == row["cro_number"]
    assert row["surname"] == row["surname"].upper()
    assert row["surname"]
    for alias in filter(None, row["aliases"].split(";")):
        surname, _, forenames = alias.partition(", ")
        assert surname, alias
        assert forenames, alias
    births = [date.fromisoformat(d) for d in row["dates_of_birth"].split(";")]
    assert row["sex"] in ("M", "F", "U")
    for entry in filter(None, row["addresses"].split(";")):
        text, postcode, start, end = entry.split("|")
        assert ", " in text
        assert not postcode or parse_postcode(postcode) == postcode
        for day in filter(None, (start, end)):
            date.fromisoformat(day)
    if row["ni_number"]:
        assert parse_ni_number(row["ni_number"]) == row["ni_number"]
    if row["driving_licence"]:
        assert parse_driving_licence(row["driving_licence"]) == row["driving_licence"]
    if row["passport"]:
        assert re.fullmatch(r"\d{9}\|GBR", row["passport"])
    for entry in filter(None, row["warning_signals"].split(";")):
        match = ENTRY.fullmatch(entry)
        assert match, entry
        parse_warning_code(match["code"])
        date.fromisoformat(match["date"])
    for entry in filter(None, row["wanted_missing"].split(";")):
        kind, since, until, *rest = entry.split("|")
        date.fromisoformat(since)
        assert not until or date.fromisoformat(until) >= date.fromisoformat(since)
        if kind == "WANTED":
            force, offence = rest
            assert re.fullmatch(r"\d{2}", force)
            assert offence
        else:
            assert kind == "MISSING"
            assert rest[0] in ("VERY-LOW", "LOW", "MEDIUM", "HIGH")
    recorded, review = date.fromisoformat(row["recorded_date"]), date.fromisoformat(row["review_date"])
    assert review >= recorded
    assert all(born < recorded for born in births)


def test_the_header_is_the_documented_one(world: Path) -> None:
    first_line = (world / "pnc" / "nominals.csv").read_bytes().split(b"\r\n")[0].decode()

    assert first_line == ",".join(HEADER)
    assert f"\n{first_line}\n" in DOC.read_text()


def test_every_nominal_follows_the_format(nominals: list[dict[str, str]]) -> None:
    assert len(nominals) > 200
    for row in nominals:
        check_nominal(row)


def test_the_documented_example_follows_the_format() -> None:
    example = DOC.read_text().split("```csv\n")[1].split("```")[0]
    rows = list(csv.DictReader(io.StringIO(example)))

    assert len(rows) == 3
    for row in rows:
        check_nominal(row)


@pytest.mark.parametrize(
    "column",
    ["cro_number", "aliases", "ni_number", "driving_licence", "passport", "warning_signals", "wanted_missing"],
)
def test_optional_columns_are_sometimes_filled_and_sometimes_empty(nominals: list[dict[str, str]], column: str) -> None:
    filled = Counter(bool(row[column]) for row in nominals)

    assert filled[True]
    assert filled[False]


def test_repeated_fields_really_repeat(nominals: list[dict[str, str]]) -> None:
    assert any(";" in row["dates_of_birth"] for row in nominals)
    assert any(";" in row["addresses"] for row in nominals)
    assert any(";" in row["warning_signals"] for row in nominals)


def test_a_few_people_have_a_duplicate_nominal_under_another_pnc_id(
    nominals: list[dict[str, str]], truth_persons: list[dict[str, str]]
) -> None:
    person_of = {r["source_record_id"]: r["person_id"] for r in truth_persons if r["source_system"] == "pnc"}
    per_person = Counter(person_of[row["record_id"]] for row in nominals)

    duplicated = [person for person, count in per_person.items() if count > 1]
    assert duplicated
    assert len(duplicated) < len(per_person) / 10
    assert len({row["pnc_id"] for row in nominals}) == len(nominals)
