import pytest

from precise_contracts.values.postcode import inward, outward, parse_postcode


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("M1 1AE", "M1 1AE"),  # A9
        ("B33 8TH", "B33 8TH"),  # A99
        ("W1A 0AX", "W1A 0AX"),  # A9A
        ("CR2 6XH", "CR2 6XH"),  # AA9
        ("DN55 1PT", "DN55 1PT"),  # AA99
        ("EC1A 1BB", "EC1A 1BB"),  # AA9A
        ("sw1a1aa", "SW1A 1AA"),
        ("  sw1a   1aa ", "SW1A 1AA"),
        ("gir0aa", "GIR 0AA"),
    ],
)
def test_valid_postcodes_get_one_space_before_the_inward_code(raw: str, canonical: str) -> None:
    assert parse_postcode(raw) == canonical


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("QA1 1AA", "outward code QA1 with a letter Royal Mail never uses there"),  # Q first
        ("V1 1AA", "outward code V1"),
        ("AI1 1AA", "outward code AI1"),  # I second
        ("W1I 1AA", "outward code W1I"),  # I ends no A9A code
        ("EC1C 1AA", "outward code EC1C"),  # C ends no AA9A code
        ("SW1A 1CA", "inward code 1CA, but inward codes never use C, I, K, M, O or V"),
        ("SW1A 1AV", "inward code 1AV"),
        ("SW1A 1A", "is not a UK postcode"),
        ("SW1A1AAA", "is not a UK postcode"),
        ("1W1A 1AA", "is not a UK postcode"),
        ("ABC1 1AA", "is not a UK postcode"),
        ("GIR 0AB", "is not a UK postcode"),
        ("", "is not a UK postcode"),
    ],
)
def test_invalid_postcodes_say_what_is_wrong(raw: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_postcode(raw)


@pytest.mark.parametrize(
    ("raw", "out", "into"),
    [("sw1a1aa", "SW1A", "1AA"), ("M1 1AE", "M1", "1AE"), ("GIR0AA", "GIR", "0AA")],
)
def test_outward_and_inward_split_a_postcode_in_any_form(raw: str, out: str, into: str) -> None:
    assert outward(raw) == out
    assert inward(raw) == into


def test_outward_refuses_an_invalid_postcode() -> None:
    with pytest.raises(ValueError, match="'XX'"):
        outward("XX")
