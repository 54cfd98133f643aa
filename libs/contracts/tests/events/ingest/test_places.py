import pytest
from pydantic import ValidationError

from precise_contracts.events.ingest.places import Address, Coordinates


@pytest.mark.parametrize(
    ("latitude", "longitude"),
    [
        (51.5007, -0.1246),  # Westminster
        (60.1546, -1.1494),  # Lerwick, Shetland
        (54.5973, -5.9301),  # Belfast
        (49.9145, -6.3149),  # St Mary's, Isles of Scilly
        (52.4811, 1.7537),  # Lowestoft
    ],
)
def test_points_across_the_uk_are_accepted(latitude: float, longitude: float) -> None:
    point = Coordinates(latitude=latitude, longitude=longitude)

    assert (point.latitude, point.longitude) == (latitude, longitude)


@pytest.mark.parametrize(
    ("latitude", "longitude", "message"),
    [
        (48.8566, 2.3522, r"latitude 48.8566 is outside the UK \(49.8 to 60.9\)"),  # Paris
        (-0.1246, 51.5007, r"latitude -0.1246 is outside the UK"),  # swapped
        (0.0, 0.0, r"latitude 0.0 is outside the UK"),  # a zeroed GPS fix
        (53.0, -10.0, r"longitude -10.0 is outside the UK \(-8.7 to 1.8\)"),  # the Atlantic west of Ireland
    ],
)
def test_points_outside_the_uk_are_refused(latitude: float, longitude: float, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        Coordinates(latitude=latitude, longitude=longitude)


def test_not_a_number_is_refused() -> None:
    with pytest.raises(ValidationError, match="latitude"):
        Coordinates(latitude=float("nan"), longitude=-0.1)


def test_an_address_keeps_its_lines_and_normalises_its_postcode() -> None:
    address = Address.model_validate({"lines": [" 10 Example Street "], "town": "Exampleton", "postcode": "sw1a1aa"})

    assert address.lines == ("10 Example Street",)
    assert address.postcode == "SW1A 1AA"


def test_a_bad_postcode_is_refused_saying_why() -> None:
    with pytest.raises(ValidationError, match="postcode 'QQ1 1AA' has outward code QQ1"):
        Address.model_validate({"lines": ["1 High Street"], "postcode": "QQ1 1AA"})


def test_an_address_has_at_least_one_line() -> None:
    with pytest.raises(ValidationError, match="lines"):
        Address.model_validate({"lines": [], "postcode": "SW1A 1AA"})
