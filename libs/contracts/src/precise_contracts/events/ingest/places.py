"""Where things are: postal addresses and WGS84 coordinates inside the United Kingdom."""

from __future__ import annotations

from pydantic import Field, field_validator

from precise_contracts.events.ingest._part import Label, Part
from precise_contracts.values import Postcode

# A box around the UK's extreme points (Out Stack, the Isles of Scilly, Lowestoft, County Fermanagh) with a small
# margin. It catches swapped, zeroed and mistyped coordinates; it is not a border (most of Ireland is inside).
UK_LATITUDE = (49.8, 60.9)
UK_LONGITUDE = (-8.7, 1.8)


def _within(what: str, value: float, bounds: tuple[float, float]) -> float:
    low, high = bounds
    if not low <= value <= high:
        raise ValueError(f"{what} {value} is outside the UK ({low} to {high})")
    return value


class Coordinates(Part):
    """A point in WGS84 decimal degrees (as GPS and the National ANPR Service give them), inside the UK."""

    latitude: float = Field(
        description="Latitude in decimal degrees, north positive.",
        json_schema_extra={"minimum": UK_LATITUDE[0], "maximum": UK_LATITUDE[1]},
    )
    longitude: float = Field(
        description="Longitude in decimal degrees, east positive (most of the UK is west, so negative).",
        json_schema_extra={"minimum": UK_LONGITUDE[0], "maximum": UK_LONGITUDE[1]},
    )

    @field_validator("latitude")
    @classmethod
    def _latitude_in_uk(cls, value: float) -> float:
        return _within("latitude", value, UK_LATITUDE)

    @field_validator("longitude")
    @classmethod
    def _longitude_in_uk(cls, value: float) -> float:
        return _within("longitude", value, UK_LONGITUDE)


class Address(Part):
    """A UK postal address as the source wrote it; only the postcode is normalised."""

    lines: tuple[Label, ...] = Field(
        min_length=1,
        max_length=6,
        description="Address lines before the town, in order (house number and street first).",
    )
    town: Label | None = Field(default=None, description="Post town or locality; absent if the source gave none.")
    postcode: Postcode | None = Field(default=None, description="The postcode; absent if the source gave none.")
