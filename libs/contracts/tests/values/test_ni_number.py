import pytest

from precise_contracts.values.ni_number import parse_ni_number


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("AB123456C", "AB123456C"),
        ("ab 12 34 56 c", "AB123456C"),
        ("OA000001A", "OA000001A"),  # O may come first, just not second
        ("CE999999D", "CE999999D"),
        ("ZY123456B", "ZY123456B"),  # Z is fine outside the ZZ prefix
    ],
)
def test_valid_numbers_are_normalised(raw: str, canonical: str) -> None:
    assert parse_ni_number(raw) == canonical


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("TN123456C", "TN marks a temporary number"),
        ("BG123456C", "prefix BG is never issued"),
        ("GB123456C", "prefix GB is never issued"),
        ("KN123456C", "prefix KN is never issued"),
        ("NK123456C", "prefix NK is never issued"),
        ("NT123456C", "prefix NT is never issued"),
        ("ZZ123456C", "prefix ZZ is never issued"),
        ("DA123456C", "the first letter is never D"),
        ("QA123456C", "the first letter is never Q"),
        ("VA123456C", "the first letter is never V"),
        ("AO123456C", "the second letter is never O"),
        ("AI123456C", "the second letter is never I"),
        ("AB123456E", "ends in E, but the final letter is A-D"),
        ("AB123456", "not in the form AB123456C"),  # no final letter
        ("AB12345C", "not in the form AB123456C"),
        ("A1234567C", "not in the form AB123456C"),
        ("", "not in the form AB123456C"),
    ],
)
def test_invalid_numbers_say_what_is_wrong(raw: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_ni_number(raw)
