"""Real UK towns (approximate centre coordinates) that synthetic people live in and vehicles drive between.

Cities are where county-lines vehicles start; market towns are where they go. Force numbers are the
two-digit Home Office force codes as commonly published; adapters treat them as opaque codes.
"""

import math
from dataclasses import dataclass
from enum import StrEnum


class TownKind(StrEnum):
    CITY = "city"
    MARKET_TOWN = "market-town"


@dataclass(frozen=True)
class Force:
    code: str
    name: str


@dataclass(frozen=True)
class Town:
    code: str  # three letters, used in camera and custody ids
    name: str
    latitude: float
    longitude: float
    postcode_area: str
    kind: TownKind
    force: Force
    landline_prefix: str  # an Ofcom drama range for the area (see identifiers.PHONE_RANGES)


_MET = Force("01", "Metropolitan Police Service")
_CUMBRIA = Force("03", "Cumbria Constabulary")
_MERSEYSIDE = Force("05", "Merseyside Police")
_GMP = Force("06", "Greater Manchester Police")
_NORTHUMBRIA = Force("10", "Northumbria Police")
_NORTH_YORKS = Force("12", "North Yorkshire Police")
_WEST_YORKS = Force("13", "West Yorkshire Police")
_SOUTH_YORKS = Force("14", "South Yorkshire Police")
_WEST_MIDS = Force("20", "West Midlands Police")
_STAFFS = Force("21", "Staffordshire Police")
_WEST_MERCIA = Force("22", "West Mercia Police")
_NOTTS = Force("31", "Nottinghamshire Police")
_LINCS = Force("32", "Lincolnshire Police")
_LEICS = Force("33", "Leicestershire Police")
_THAMES_VALLEY = Force("43", "Thames Valley Police")
_AVON_SOMERSET = Force("52", "Avon and Somerset Police")
_WILTS = Force("54", "Wiltshire Police")
_GWENT = Force("61", "Gwent Police")
_SOUTH_WALES = Force("62", "South Wales Police")

_CITY, _MARKET = TownKind.CITY, TownKind.MARKET_TOWN
_NO_AREA = "01632 960"

TOWNS: tuple[Town, ...] = (
    Town("LDN", "London", 51.5074, -0.1278, "E", _CITY, _MET, "020 7946 0"),
    Town("BHM", "Birmingham", 52.4862, -1.8904, "B", _CITY, _WEST_MIDS, "0121 496 0"),
    Town("MAN", "Manchester", 53.4808, -2.2426, "M", _CITY, _GMP, "0161 496 0"),
    Town("LIV", "Liverpool", 53.4084, -2.9916, "L", _CITY, _MERSEYSIDE, "0151 496 0"),
    Town("LDS", "Leeds", 53.8008, -1.5491, "LS", _CITY, _WEST_YORKS, "0113 496 0"),
    Town("SHF", "Sheffield", 53.3811, -1.4701, "S", _CITY, _SOUTH_YORKS, "0114 496 0"),
    Town("BRS", "Bristol", 51.4545, -2.5879, "BS", _CITY, _AVON_SOMERSET, "0117 496 0"),
    Town("NCL", "Newcastle upon Tyne", 54.9783, -1.6178, "NE", _CITY, _NORTHUMBRIA, "0191 498 0"),
    Town("NOT", "Nottingham", 52.9548, -1.1581, "NG", _CITY, _NOTTS, "0115 496 0"),
    Town("LEI", "Leicester", 52.6369, -1.1398, "LE", _CITY, _LEICS, "0116 496 0"),
    Town("CDF", "Cardiff", 51.4816, -3.1791, "CF", _CITY, _SOUTH_WALES, "029 2018 0"),
    Town("COV", "Coventry", 52.4068, -1.5197, "CV", _CITY, _WEST_MIDS, _NO_AREA),
    Town("SHR", "Shrewsbury", 52.7073, -2.7553, "SY", _MARKET, _WEST_MERCIA, _NO_AREA),
    Town("HFD", "Hereford", 52.0565, -2.7160, "HR", _MARKET, _WEST_MERCIA, _NO_AREA),
    Town("LUD", "Ludlow", 52.3676, -2.7187, "SY", _MARKET, _WEST_MERCIA, _NO_AREA),
    Town("WOR", "Worcester", 52.1920, -2.2200, "WR", _MARKET, _WEST_MERCIA, _NO_AREA),
    Town("KID", "Kidderminster", 52.3885, -2.2490, "DY", _MARKET, _WEST_MERCIA, _NO_AREA),
    Town("KEN", "Kendal", 54.3280, -2.7463, "LA", _MARKET, _CUMBRIA, _NO_AREA),
    Town("CAR", "Carlisle", 54.8925, -2.9329, "CA", _MARKET, _CUMBRIA, _NO_AREA),
    Town("SKI", "Skipton", 53.9620, -2.0170, "BD", _MARKET, _NORTH_YORKS, _NO_AREA),
    Town("MAL", "Malton", 54.1360, -0.7980, "YO", _MARKET, _NORTH_YORKS, _NO_AREA),
    Town("HEX", "Hexham", 54.9711, -2.1013, "NE", _MARKET, _NORTHUMBRIA, _NO_AREA),
    Town("MHB", "Market Harborough", 52.4775, -0.9209, "LE", _MARKET, _LEICS, _NO_AREA),
    Town("BAN", "Banbury", 52.0629, -1.3398, "OX", _MARKET, _THAMES_VALLEY, _NO_AREA),
    Town("GRA", "Grantham", 52.9120, -0.6420, "NG", _MARKET, _LINCS, _NO_AREA),
    Town("LIN", "Lincoln", 53.2307, -0.5406, "LN", _MARKET, _LINCS, _NO_AREA),
    Town("BOS", "Boston", 52.9789, -0.0266, "PE", _MARKET, _LINCS, _NO_AREA),
    Town("NWK", "Newark-on-Trent", 53.0765, -0.8090, "NG", _MARKET, _NOTTS, _NO_AREA),
    Town("STA", "Stafford", 52.8066, -2.1171, "ST", _MARKET, _STAFFS, _NO_AREA),
    Town("CHP", "Chippenham", 51.4584, -2.1166, "SN", _MARKET, _WILTS, _NO_AREA),
    Town("DEV", "Devizes", 51.3506, -1.9948, "SN", _MARKET, _WILTS, _NO_AREA),
    Town("TAU", "Taunton", 51.0150, -3.1029, "TA", _MARKET, _AVON_SOMERSET, _NO_AREA),
    Town("ABG", "Abergavenny", 51.8240, -3.0167, "NP", _MARKET, _GWENT, _NO_AREA),
)

CITIES = tuple(t for t in TOWNS if t.kind is TownKind.CITY)
MARKET_TOWNS = tuple(t for t in TOWNS if t.kind is TownKind.MARKET_TOWN)

_EARTH_RADIUS_KM = 6371.0
_KM_PER_DEGREE = 111.32


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle (haversine) distance."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * _EARTH_RADIUS_KM * math.asin(math.sqrt(a))


def bearing_deg(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Initial compass bearing from the first point to the second, 0-360 degrees."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dl = math.radians(lon2 - lon1)
    x = math.sin(dl) * math.cos(p2)
    y = math.cos(p1) * math.sin(p2) - math.sin(p1) * math.cos(p2) * math.cos(dl)
    return math.degrees(math.atan2(x, y)) % 360


def offset(lat: float, lon: float, km: float, bearing: float) -> tuple[float, float]:
    """The point ``km`` away on ``bearing`` (flat-earth approximation, fine over a few kilometres)."""
    rad = math.radians(bearing)
    dlat = km * math.cos(rad) / _KM_PER_DEGREE
    dlon = km * math.sin(rad) / (_KM_PER_DEGREE * math.cos(math.radians(lat)))
    return lat + dlat, lon + dlon
