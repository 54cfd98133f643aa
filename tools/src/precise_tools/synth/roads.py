"""ANPR camera sites on the approaches to each town and along the roads between towns, and routes past them.

Each site has two cameras, one per direction of travel, as fixed ANPR sites usually cover one
carriageway each. A journey from town A to town B passes A's exit camera, the cameras along the A-B road
and B's entry camera, at times given by distance and speed.
"""

import random
from dataclasses import dataclass
from datetime import timedelta

from precise_tools.synth.towns import TOWNS, Town, bearing_deg, distance_km, offset

_APPROACHES = ((0.0, "N", "northern"), (90.0, "E", "eastern"), (180.0, "S", "southern"), (270.0, "W", "western"))
_APPROACH_KM = 2.5
_ROAD_FACTOR = 1.3  # roads are longer than the straight line
_COMPASS = ("N", "NE", "E", "SE", "S", "SW", "W", "NW")
# Reads from sites at or north of this latitude go to the northern back office's export (see sources/anpr).
NORTHERN_LATITUDE = 53.0


def compass_point(bearing: float) -> str:
    return _COMPASS[round(bearing % 360 / 45) % 8]


@dataclass(frozen=True)
class Camera:
    camera_id: str
    site_id: str
    site_name: str
    latitude: float
    longitude: float
    bearing: float  # the direction of travel of the vehicles it reads
    direction: str  # the same as a compass point
    lanes: int

    @property
    def northern(self) -> bool:
        return self.latitude >= NORTHERN_LATITUDE


@dataclass(frozen=True)
class Site:
    site_id: str
    cameras: tuple[Camera, Camera]

    def camera_towards(self, bearing: float) -> Camera:
        return min(self.cameras, key=lambda c: _angle_between(c.bearing, bearing))


@dataclass(frozen=True)
class Pass:
    camera: Camera
    after: timedelta  # time since the journey started


def _angle_between(a: float, b: float) -> float:
    difference = abs(a - b) % 360
    return min(difference, 360 - difference)


def _site(site_id: str, name: str, lat: float, lon: float, bearing: float, lanes: int) -> Site:
    point = (round(lat, 6), round(lon, 6))
    forward = Camera(f"{site_id}-1", site_id, name, *point, bearing, compass_point(bearing), lanes)
    back_bearing = (bearing + 180) % 360
    back = Camera(f"{site_id}-2", site_id, name, *point, back_bearing, compass_point(back_bearing), lanes)
    return Site(site_id, (forward, back))


class RoadNetwork:
    """Town approach sites for every town; sites on the road between two towns, made when first used."""

    def __init__(self) -> None:
        self.approaches: dict[str, list[Site]] = {}
        for town in TOWNS:
            sites = []
            for bearing, letter, word in _APPROACHES:
                lat, lon = offset(town.latitude, town.longitude, _APPROACH_KM, bearing)
                sites.append(_site(f"{town.code}-{letter}", f"{town.name} {word} approach", lat, lon, bearing, 2))
            self.approaches[town.code] = sites
        self._roads: dict[tuple[str, str], list[Site]] = {}
        for town in TOWNS:
            for neighbour in sorted(TOWNS, key=lambda t: distance_km(*_centre(town), *_centre(t)))[1:4]:
                self.road(town, neighbour)

    def road(self, a: Town, b: Town) -> list[Site]:
        """The sites on the road between two towns, ordered from the alphabetically first town's end."""
        first, second = sorted((a, b), key=lambda t: t.code)
        key = (first.code, second.code)
        if key not in self._roads:
            bearing = bearing_deg(*_centre(first), *_centre(second))
            sites = []
            for k in (1, 2):
                lat = first.latitude + (second.latitude - first.latitude) * k / 3
                lon = first.longitude + (second.longitude - first.longitude) * k / 3
                name = f"{first.name} to {second.name} road, point {k}"
                sites.append(_site(f"{first.code}{second.code}-{k}", name, lat, lon, bearing, 3))
            self._roads[key] = sites
        return self._roads[key]

    def town_cameras(self, town: Town) -> list[Camera]:
        return [camera for site in self.approaches[town.code] for camera in site.cameras]

    def road_cameras_from(self, town: Town) -> list[Camera]:
        return [
            camera
            for (a, b), sites in self._roads.items()
            if town.code in (a, b)
            for site in sites
            for camera in site.cameras
        ]

    def all_cameras(self) -> list[Camera]:
        towns = [camera for sites in self.approaches.values() for site in sites for camera in site.cameras]
        roads = [camera for sites in self._roads.values() for site in sites for camera in site.cameras]
        return towns + roads

    def route(self, start: Town, end: Town) -> list[tuple[Camera, float]]:
        """The cameras passed driving from ``start`` to ``end``, each with the road distance (km) to it."""
        heading = bearing_deg(*_centre(start), *_centre(end))
        back_heading = bearing_deg(*_centre(end), *_centre(start))
        exit_site = min(self.approaches[start.code], key=lambda s: _angle_between(s.cameras[0].bearing, heading))
        entry_site = min(self.approaches[end.code], key=lambda s: _angle_between(s.cameras[0].bearing, back_heading))
        road = self.road(start, end)
        if end.code < start.code:  # the road's sites run from the alphabetically first town
            road = road[::-1]
        cameras = [
            exit_site.cameras[0],  # outbound from start
            *(site.camera_towards(heading) for site in road),
            entry_site.cameras[1],  # inbound to end
        ]
        passes, travelled = [], 0.0
        here = _centre(start)
        for camera in cameras:
            travelled += distance_km(*here, camera.latitude, camera.longitude) * _ROAD_FACTOR
            here = (camera.latitude, camera.longitude)
            passes.append((camera, travelled))
        return passes

    def journey(self, start: Town, end: Town, speed_kmh: float) -> list[Pass]:
        return [Pass(camera, timedelta(hours=km / speed_kmh)) for camera, km in self.route(start, end)]


def _centre(town: Town) -> tuple[float, float]:
    return town.latitude, town.longitude


def journey_speed(rng: random.Random) -> float:
    """An average speed for one journey, km/h, including junctions and traffic."""
    return rng.uniform(55.0, 75.0)
