"""Vehicles and their ANPR reads: everyday traffic around home towns plus planted patterns to find.

Planted county lines: a vehicle makes repeated out-and-back trips from a city to a market town, staying
a short while each time. Planted convoys: two or three vehicles pass the same cameras within a minute of
each other. Everyday traffic is generated hour by hour and merged with the planted reads in time order,
so any number of reads streams to disk without being held in memory.
"""

import heapq
import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from precise_contracts.values import parse_vrm
from precise_tools.synth.history import Lead
from precise_tools.synth.population import Person
from precise_tools.synth.roads import Camera, RoadNetwork, journey_speed
from precise_tools.synth.timeline import ANPR_DAYS, ANPR_START, LONDON, local_iso
from precise_tools.synth.towns import CITIES, MARKET_TOWNS, TOWNS, Town, distance_km

# Everyday reads per synthetic person when --anpr-reads is not given (planted reads come on top).
READS_PER_PERSON = 20
READS_PER_VEHICLE = 200

_MEMORY_TAG = "ABCDEFGHJKLMNOPRSTUVWXY"
_RANDOM_LETTERS = "ABCDEFGHJKLMNPRSTUVWXYZ"
_PREFIX_YEAR = "ABCDEFGHJKLMNPRSTVWXY"
_AGE_IDENTIFIERS = [f"{y:02d}" for y in range(2, 25)] + [f"{y:02d}" for y in range(51, 74)]
# Relative traffic by local hour of day: quiet at night, peaks at the school run and the commute home.
_HOURLY_TRAFFIC = (2, 1, 1, 1, 2, 5, 12, 20, 22, 16, 14, 14, 15, 15, 16, 19, 23, 22, 16, 12, 9, 7, 5, 3)


@dataclass(frozen=True, slots=True)
class Read:
    read_id: str
    vrm: str
    time: datetime  # UTC
    camera: Camera
    lane: int
    confidence: int  # 0-100


@dataclass(frozen=True)
class Vehicle:
    vrm: str
    keeper_id: str
    home: Town


@dataclass(frozen=True)
class Trip:
    out: tuple[Read, ...]
    back: tuple[Read, ...]

    def as_json(self) -> dict[str, Any]:
        return {
            "depart_city": local_iso(self.out[0].time),
            "arrive_market_town": local_iso(self.out[-1].time),
            "leave_market_town": local_iso(self.back[0].time),
            "return_city": local_iso(self.back[-1].time),
            "stay_minutes": round((self.back[0].time - self.out[-1].time).total_seconds() / 60),
            "read_ids": [r.read_id for r in (*self.out, *self.back)],
        }


@dataclass(frozen=True)
class CountyLine:
    pattern_id: str
    vehicle: Vehicle
    city: Town
    market_town: Town
    trips: tuple[Trip, ...]

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.pattern_id,
            "vrm": self.vehicle.vrm,
            "driver_person_id": self.vehicle.keeper_id,
            "city": self.city.name,
            "market_town": self.market_town.name,
            "trips": [trip.as_json() for trip in self.trips],
        }


@dataclass(frozen=True)
class ConvoyJourney:
    start: Town
    end: Town
    passes: tuple[tuple[Read, ...], ...]  # per camera, one read per vehicle, lead first

    def as_json(self) -> dict[str, Any]:
        return {
            "from": self.start.name,
            "to": self.end.name,
            "passes": [
                {
                    "camera_id": reads[0].camera.camera_id,
                    "reads": [{"vrm": r.vrm, "read_id": r.read_id, "time": local_iso(r.time)} for r in reads],
                }
                for reads in self.passes
            ],
        }


@dataclass(frozen=True)
class Convoy:
    pattern_id: str
    vehicles: tuple[Vehicle, ...]
    journeys: tuple[ConvoyJourney, ...]

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.pattern_id,
            "vrms": [v.vrm for v in self.vehicles],
            "journeys": [journey.as_json() for journey in self.journeys],
        }


@dataclass(frozen=True)
class PlantedPatterns:
    county_lines: tuple[CountyLine, ...]
    convoys: tuple[Convoy, ...]

    def reads(self) -> list[Read]:
        reads = [r for line in self.county_lines for trip in line.trips for r in (*trip.out, *trip.back)]
        reads += [r for convoy in self.convoys for j in convoy.journeys for rs in j.passes for r in rs]
        return sorted(reads, key=lambda r: (r.time, r.read_id))

    def vehicles(self) -> list[Vehicle]:
        return [line.vehicle for line in self.county_lines] + [v for c in self.convoys for v in c.vehicles]

    def leads(self) -> dict[str, Lead]:
        return {
            line.vehicle.keeper_id: Lead(
                line.vehicle.vrm,
                f"Subject believed to be running a drug line from {line.city.name} to {line.market_town.name} "
                f"using vehicle {line.vehicle.vrm}; makes short visits to {line.market_town.name}.",
            )
            for line in self.county_lines
        }

    def as_json(self) -> dict[str, Any]:
        return {
            "county_lines": [line.as_json() for line in self.county_lines],
            "convoys": [convoy.as_json() for convoy in self.convoys],
        }


class Traffic:
    """Issues VRMs, vehicles, planted patterns and everyday reads from seeded random streams."""

    def __init__(self, seed: int, people: list[Person], network: RoadNetwork) -> None:
        self.seed = seed
        self.people = people
        self.network = network
        self.rng = random.Random(f"{seed}:traffic")
        self._vrms: set[str] = set()
        self._drivers: set[str] = set()

    def vrm(self) -> str:
        rng = self.rng
        while True:
            if rng.random() < 0.85:
                text = rng.choice(_MEMORY_TAG) + rng.choice(_MEMORY_TAG) + rng.choice(_AGE_IDENTIFIERS)
            else:
                text = rng.choice(_PREFIX_YEAR) + str(rng.randint(1, 999))
            text += "".join(rng.choice(_RANDOM_LETTERS) for _ in range(3))
            if text not in self._vrms:
                self._vrms.add(parse_vrm(text))
                return text

    def vehicle(self, keeper: Person) -> Vehicle:
        return Vehicle(self.vrm(), keeper.person_id, keeper.current_address.town)

    def everyday_vehicles(self, reads: int) -> list[Vehicle]:
        """One vehicle per two people, or per READS_PER_VEHICLE reads if that is more (large benchmark files)."""
        drivers = [p for p in self.people if p.driving_licence] or self.people
        count = max(20, len(self.people) // 2, reads // READS_PER_VEHICLE)
        return [self.vehicle(self.rng.choice(drivers)) for _ in range(count)]

    def read(self, vrm: str, time: datetime, camera: Camera) -> Read:
        return _read(self.rng, vrm, time, camera)

    def plant(self) -> PlantedPatterns:
        lines = tuple(self._county_line(n) for n in range(1, min(20, max(1, len(self.people) // 2500)) + 1))
        convoys = tuple(self._convoy(n) for n in range(1, min(10, max(1, len(self.people) // 5000)) + 1))
        return PlantedPatterns(lines, convoys)

    def _departure(self, day: int, earliest_hour: float, latest_hour: float) -> datetime:
        return ANPR_START + timedelta(days=day, hours=self.rng.uniform(earliest_hour, latest_hour))

    def _county_line(self, number: int) -> CountyLine:
        rng = self.rng
        # Each line has its own driver, so each driver's intelligence names one vehicle.
        candidates = [p for p in self.people if p.person_id not in self._drivers]
        young = [p for p in candidates if p.driving_licence and 18 <= p.age_on(ANPR_START.date()) <= 45]
        driver = rng.choice(young or candidates)
        self._drivers.add(driver.person_id)
        home = driver.current_address.town
        city = home if home in CITIES else rng.choice(CITIES)
        towns = [t for t in MARKET_TOWNS if 40 <= _distance(city, t) <= 220]
        market_town = rng.choice(towns) if towns else min(MARKET_TOWNS, key=lambda t: _distance(city, t))
        vehicle = Vehicle(self.vrm(), driver.person_id, home)
        trips = []
        for day in sorted(rng.sample(range(ANPR_DAYS - 1), rng.randint(4, 7))):
            depart = self._departure(day, 11, 19)
            out = self._drive(vehicle.vrm, city, market_town, depart)
            stay = timedelta(minutes=rng.randint(45, 240))
            back = self._drive(vehicle.vrm, market_town, city, out[-1].time + stay)
            trips.append(Trip(tuple(out), tuple(back)))
        return CountyLine(f"CL-{number:03d}", vehicle, city, market_town, tuple(trips))

    def _drive(self, vrm: str, start: Town, end: Town, depart: datetime) -> list[Read]:
        passes = self.network.journey(start, end, journey_speed(self.rng))
        return [self.read(vrm, depart + p.after, p.camera) for p in passes]

    def _convoy(self, number: int) -> Convoy:
        rng = self.rng
        vehicles = tuple(self.vehicle(rng.choice(self.people)) for _ in range(rng.choice((2, 2, 3))))
        start = rng.choice(TOWNS)
        ends = [t for t in TOWNS if 30 <= _distance(start, t) <= 200]
        end = rng.choice(ends) if ends else min((t for t in TOWNS if t != start), key=lambda t: _distance(start, t))
        journeys = []
        for day in sorted(rng.sample(range(ANPR_DAYS - 1), rng.randint(1, 3))):
            depart = self._departure(day, 6, 22)
            passes = self.network.journey(start, end, journey_speed(rng))
            # Each follower keeps a steady gap behind the one in front; all stay within a minute of the lead.
            gaps = [rng.uniform(4, 25) for _ in vehicles[1:]]
            camera_reads = []
            for p in passes:
                lag, reads = 0.0, [self.read(vehicles[0].vrm, depart + p.after, p.camera)]
                for vehicle, gap in zip(vehicles[1:], gaps, strict=True):
                    lag += max(1.0, gap + rng.uniform(-3, 3))
                    reads.append(self.read(vehicle.vrm, depart + p.after + timedelta(seconds=lag), p.camera))
                camera_reads.append(tuple(reads))
            journeys.append(ConvoyJourney(start, end, tuple(camera_reads)))
        return Convoy(f"CV-{number:03d}", vehicles, tuple(journeys))

    def everyday_reads(self, count: int, vehicles: list[Vehicle]) -> Iterator[Read]:
        """``count`` reads of ``vehicles`` around their home towns, in time order, an hour at a time."""
        rng = random.Random(f"{self.seed}:everyday-reads")
        network = self.network
        every_camera = network.all_cameras()
        near_home = {
            town.code: (network.town_cameras(town), network.road_cameras_from(town) or network.town_cameras(town))
            for town in TOWNS
        }
        hours = [ANPR_START + timedelta(hours=h) for h in range(ANPR_DAYS * 24)]
        weights = [_HOURLY_TRAFFIC[hour.astimezone(LONDON).hour] for hour in hours]
        for hour, reads_this_hour in zip(hours, _apportion(count, weights), strict=True):
            batch = []
            for _ in range(reads_this_hour):
                vehicle = vehicles[rng.randrange(len(vehicles))]
                roll = rng.random()
                if roll < 0.05:
                    camera = every_camera[rng.randrange(len(every_camera))]
                else:
                    town_cameras, road_cameras = near_home[vehicle.home.code]
                    pool = town_cameras if roll < 0.75 else road_cameras
                    camera = pool[rng.randrange(len(pool))]
                batch.append(_read(rng, vehicle.vrm, hour + timedelta(seconds=rng.random() * 3600), camera))
            batch.sort(key=lambda r: r.time)
            yield from batch


def _read(rng: random.Random, vrm: str, time: datetime, camera: Camera) -> Read:
    return Read(
        read_id=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        vrm=vrm,
        time=time,
        camera=camera,
        lane=rng.randint(1, camera.lanes),
        confidence=max(55, 100 - int(rng.expovariate(0.2))),  # mostly 90s, a tail of poor reads
    )


def _apportion(total: int, weights: list[int]) -> list[int]:
    """Split ``total`` in proportion to ``weights`` exactly (largest remainders get the leftovers)."""
    whole = sum(weights)
    shares = [total * w / whole for w in weights]
    counts = [int(s) for s in shares]
    by_remainder = sorted(range(len(weights)), key=lambda i: (counts[i] - shares[i], i))
    for i in by_remainder[: total - sum(counts)]:
        counts[i] += 1
    return counts


def _distance(a: Town, b: Town) -> float:
    return distance_km(a.latitude, a.longitude, b.latitude, b.longitude)


def all_reads(planted: PlantedPatterns, everyday: Iterator[Read]) -> Iterator[Read]:
    """Planted and everyday reads merged in time order."""
    return heapq.merge(planted.reads(), everyday, key=lambda r: r.time)
