"""The planted ANPR patterns are really in the ANPR files, where an analyst would look for them."""

from __future__ import annotations

import itertools
import json
from collections import defaultdict
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from precise_tools.synth.patterns import _apportion
from precise_tools.synth.towns import TOWNS

Read = dict[str, Any]
TOWN_CODE = {town.name: town.code for town in TOWNS}


@pytest.fixture(scope="module")
def patterns(world: Path) -> dict[str, Any]:
    planted: dict[str, Any] = json.loads((world / "truth" / "patterns.json").read_text())
    return planted


@pytest.fixture(scope="module")
def reads_by_vrm(anpr_reads: list[Read]) -> dict[str, list[Read]]:
    by_vrm: dict[str, list[Read]] = defaultdict(list)
    for read in anpr_reads:
        by_vrm[read["vrm"]].append(read)
    for reads in by_vrm.values():
        reads.sort(key=lambda r: datetime.fromisoformat(r["capture_time"]))
    return by_vrm


def at_town(read: Read, town: str) -> bool:
    """A read on one of the town's approach cameras (camera ids start with the town's code and a dash)."""
    return str(read["camera_id"]).startswith(TOWN_CODE[town] + "-")


def time_of(read: Read) -> datetime:
    return datetime.fromisoformat(read["capture_time"])


def test_every_planted_read_is_in_the_anpr_files_under_its_vrm(
    patterns: dict[str, Any], anpr_reads: list[Read]
) -> None:
    vrm_of = {read["read_id"]: read["vrm"] for read in anpr_reads}

    for line in patterns["county_lines"]:
        for trip in line["trips"]:
            assert {vrm_of[read_id] for read_id in trip["read_ids"]} == {line["vrm"]}
    for convoy in patterns["convoys"]:
        for journey in convoy["journeys"]:
            for camera_pass in journey["passes"]:
                assert {vrm_of[r["read_id"]] for r in camera_pass["reads"]} == set(convoy["vrms"])


def test_a_county_lines_vehicle_makes_repeated_short_out_and_back_trips(
    patterns: dict[str, Any], reads_by_vrm: dict[str, list[Read]]
) -> None:
    assert patterns["county_lines"]
    for line in patterns["county_lines"]:
        city, town = line["city"], line["market_town"]
        reads = reads_by_vrm[line["vrm"]]
        # Found from the reads alone: arrivals in the market town, each followed by a departure the same day.
        visits = []
        for arrival, departure in itertools.pairwise(reads):
            if at_town(arrival, town) and at_town(departure, town) and arrival["direction"] != departure["direction"]:
                visits.append((time_of(arrival), time_of(departure)))
        assert len(visits) >= 4, line["vrm"]
        assert all(timedelta(minutes=30) <= leave - arrive <= timedelta(hours=5) for arrive, leave in visits)
        for trip in line["trips"]:
            trip_reads = [r for r in reads if r["read_id"] in set(trip["read_ids"])]
            assert at_town(trip_reads[0], city)
            assert at_town(trip_reads[-1], city)
            assert any(at_town(r, town) for r in trip_reads)
            assert time_of(trip_reads[-1]) - time_of(trip_reads[0]) < timedelta(hours=12)


def test_convoy_vehicles_pass_the_same_cameras_within_a_minute(
    patterns: dict[str, Any], reads_by_vrm: dict[str, list[Read]]
) -> None:
    assert patterns["convoys"]
    for convoy in patterns["convoys"]:
        assert len(convoy["vrms"]) >= 2
        for journey in convoy["journeys"]:
            assert len(journey["passes"]) >= 4
            for camera_pass in journey["passes"]:
                camera = camera_pass["camera_id"]
                lead_read = next(
                    r for r in reads_by_vrm[convoy["vrms"][0]] if r["read_id"] == camera_pass["reads"][0]["read_id"]
                )
                for vrm in convoy["vrms"][1:]:
                    assert any(
                        r["camera_id"] == camera and abs(time_of(r) - time_of(lead_read)) < timedelta(minutes=1)
                        for r in reads_by_vrm[vrm]
                    )


def test_reads_in_each_file_are_in_capture_time_order(world: Path) -> None:
    times = [
        line.split(",")[2]
        for line in (world / "anpr" / "reads.csv").read_text().splitlines()[1:]
        if line.count(",") >= 2
    ]
    parsed = [datetime.fromisoformat(t) for t in times]

    assert parsed == sorted(parsed)


def test_everyday_reads_are_shared_out_exactly() -> None:
    assert _apportion(10, [1, 1, 1]) == [4, 3, 3]
    assert sum(_apportion(1_000_003, [2, 5, 9, 1])) == 1_000_003
