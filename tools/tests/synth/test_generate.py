"""The generator's promises: the same seed gives the same bytes, and ground truth covers every record."""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from precise_tools.synth.generate import generate

ReadCsv = Callable[..., list[dict[str, str]]]
ReadAnpr = Callable[[Path], list[dict[str, Any]]]


def tree_digest(folder: Path) -> dict[str, str]:
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def test_the_same_seed_writes_byte_identical_files(tmp_path: Path) -> None:
    generate(tmp_path / "a", people=120, seed=5)
    generate(tmp_path / "b", people=120, seed=5)
    generate(tmp_path / "c", people=120, seed=6)

    first, second, other_seed = (tree_digest(tmp_path / name) for name in "abc")
    assert first == second
    assert len(first) > 20  # every source, the mappings and the truth, not an empty folder
    changed = {name for name in first if first[name] != other_seed.get(name)}
    assert {"pnc/nominals.csv", "anpr/reads.csv", "truth/persons.csv"} <= changed


def test_every_source_record_maps_to_exactly_one_true_person(
    world: Path,
    truth_persons: list[dict[str, str]],
    nominals: list[dict[str, str]],
    custody_rows: list[dict[str, str]],
    intel_lines: list[str],
    read_csv: ReadCsv,
) -> None:
    in_files = {("pnc", row["record_id"]) for row in nominals}
    in_files |= {("ident1", path.stem) for path in (world / "ident1").glob("*.nist")}
    in_files |= {("legacy/custody", row["CUSTODY_REF"]) for row in custody_rows}
    in_files |= {("legacy/intel", line[:10].strip()) for line in intel_lines}
    in_truth = [(row["source_system"], row["source_record_id"]) for row in truth_persons]
    people = {row["person_id"] for row in read_csv(world / "truth" / "people.csv")}

    assert len(in_truth) == len(set(in_truth))
    assert set(in_truth) == in_files
    assert {row["person_id"] for row in truth_persons} == people


def test_every_person_appears_in_at_least_two_sources(truth_persons: list[dict[str, str]]) -> None:
    systems = defaultdict(set)
    for row in truth_persons:
        systems[row["person_id"]].add(row["source_system"])

    assert min(len(found) for found in systems.values()) >= 2
    assert {s for found in systems.values() for s in found} == {"pnc", "ident1", "legacy/custody", "legacy/intel"}


def test_the_manifest_counts_what_each_file_holds(
    world: Path, anpr_reads: list[dict[str, object]], nominals: list[dict[str, str]]
) -> None:
    manifest = json.loads((world / "synth.json").read_text())
    files = manifest["files"]

    assert manifest["people"] == 400
    assert files["pnc/nominals.csv"] == len(nominals)
    assert files["ident1/*.nist"] == len(list((world / "ident1").glob("*.nist")))
    assert files["anpr/reads.csv"] + files["anpr/reads.jsonl"] == len(anpr_reads)
    assert len(anpr_reads) > 20 * 400  # the everyday reads plus the planted ones


def test_anpr_reads_sets_the_total_number_of_reads(tmp_path: Path, read_anpr: ReadAnpr) -> None:
    generate(tmp_path, people=60, seed=2, anpr_reads=5_000)

    assert len(read_anpr(tmp_path / "anpr")) == 5_000


def test_fewer_anpr_reads_than_the_planted_patterns_need_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="at least"):
        generate(tmp_path, people=60, seed=2, anpr_reads=3)
