"""Journeys pass the cameras a real journey would, in order, in the right direction."""

from __future__ import annotations

from precise_tools.synth.roads import RoadNetwork, compass_point
from precise_tools.synth.towns import TOWNS, bearing_deg

BY_CODE = {town.code: town for town in TOWNS}


def test_a_journey_leaves_one_town_follows_the_road_and_enters_the_other() -> None:
    network = RoadNetwork()
    birmingham, shrewsbury = BY_CODE["BHM"], BY_CODE["SHR"]

    passes = network.journey(birmingham, shrewsbury, speed_kmh=60)
    cameras = [p.camera for p in passes]

    assert cameras[0].camera_id.startswith("BHM-")
    assert cameras[0].camera_id.endswith("-1")
    assert cameras[-1].camera_id.startswith("SHR-")
    assert cameras[-1].camera_id.endswith("-2")
    assert [c.site_id for c in cameras[1:-1]] == ["BHMSHR-1", "BHMSHR-2"]
    assert [p.after for p in passes] == sorted(p.after for p in passes)
    heading = compass_point(
        bearing_deg(birmingham.latitude, birmingham.longitude, shrewsbury.latitude, shrewsbury.longitude)
    )
    assert cameras[1].direction == cameras[2].direction == heading


def test_the_way_back_uses_the_same_sites_in_the_other_direction() -> None:
    network = RoadNetwork()
    out = [p.camera for p in network.journey(BY_CODE["BHM"], BY_CODE["SHR"], speed_kmh=60)]
    back = [p.camera for p in network.journey(BY_CODE["SHR"], BY_CODE["BHM"], speed_kmh=60)]

    assert [c.site_id for c in back[1:-1]] == [c.site_id for c in reversed(out[1:-1])]
    assert all(a.camera_id != b.camera_id for a, b in zip(out[1:-1], reversed(back[1:-1]), strict=True))


def test_compass_points() -> None:
    assert [compass_point(b) for b in (0, 44, 46, 90, 180, 270, 359)] == ["N", "NE", "NE", "E", "S", "W", "N"]
