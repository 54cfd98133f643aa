"""The committed artefacts equal what the topic registry generates today."""

from __future__ import annotations

from pathlib import Path

from precise_contracts.topology.generate import stale

ROOT = Path(__file__).resolve().parents[4]


def test_generated_topology_files_are_current() -> None:
    outdated = stale(ROOT)

    assert not outdated, "stale generated files: " + ", ".join(map(str, outdated)) + "; run make topology"
