"""One small synthetic world, generated once for the synth tests, and readers for its files."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from precise_tools.synth.generate import generate

WORLD_PEOPLE = 400
WORLD_SEED = 11


@pytest.fixture(scope="session")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("world")
    generate(out, people=WORLD_PEOPLE, seed=WORLD_SEED)
    return out


def read_csv(path: Path, encoding: str = "utf-8") -> list[dict[str, str]]:
    with path.open(encoding=encoding, newline="") as file:
        return list(csv.DictReader(file))


def read_anpr(folder: Path) -> list[dict[str, Any]]:
    """Every read in reads.csv and reads.jsonl, with numbers as numbers."""
    reads: list[dict[str, Any]] = []
    csv_path, jsonl_path = folder / "reads.csv", folder / "reads.jsonl"
    if csv_path.exists():
        for row in read_csv(csv_path):
            numbers = {k: float(row[k]) for k in ("latitude", "longitude")} | {
                k: int(row[k]) for k in ("lane", "confidence")
            }
            reads.append(row | numbers)
    if jsonl_path.exists():
        reads += [json.loads(line) for line in jsonl_path.read_text(encoding="utf-8").splitlines()]
    return reads


@pytest.fixture(name="read_csv", scope="session")
def read_csv_fixture() -> Callable[..., list[dict[str, str]]]:
    return read_csv


@pytest.fixture(name="read_anpr", scope="session")
def read_anpr_fixture() -> Callable[[Path], list[dict[str, Any]]]:
    return read_anpr


@pytest.fixture(scope="session")
def anpr_reads(world: Path) -> list[dict[str, Any]]:
    return read_anpr(world / "anpr")


@pytest.fixture(scope="session")
def truth_persons(world: Path) -> list[dict[str, str]]:
    return read_csv(world / "truth" / "persons.csv")


@pytest.fixture(scope="session")
def nominals(world: Path) -> list[dict[str, str]]:
    return read_csv(world / "pnc" / "nominals.csv")


@pytest.fixture(scope="session")
def custody_rows(world: Path) -> list[dict[str, str]]:
    return read_csv(world / "legacy" / "custody.csv", encoding="cp1252")


@pytest.fixture(scope="session")
def intel_lines(world: Path) -> list[str]:
    return (world / "legacy" / "intel.dat").read_text(encoding="cp1252").splitlines()
