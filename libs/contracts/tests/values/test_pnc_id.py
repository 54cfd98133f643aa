import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from precise_contracts.values.check_letter import CHECK_LETTERS
from precise_contracts.values.pnc_id import parse_pnc_id, pnc_check_letter

# Worked by hand: int(YY + 7-digit serial) mod 23, indexed into ZABCDEFGHJKLMNPQRTUVWXY.
#   981234567 = 23 * 42662372 + 11 -> L
#   980001234 = 23 * 42608749 + 7  -> G
#    50000001 = 23 * 2173913 + 2   -> B
#   129999999 = 23 * 5652173 + 20  -> W
#           0                      -> Z


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("98/1234567L", "98/1234567L"),
        ("98/1234G", "98/0001234G"),  # short serial is zero-padded before the check
        ("05/1B", "05/0000001B"),
        ("12/9999999W", "12/9999999W"),
        ("00/0000000Z", "00/0000000Z"),
        ("1998/1234567L", "98/1234567L"),  # 4-digit year
        ("2012/9999999W", "12/9999999W"),
        ("98/1234567l", "98/1234567L"),  # lower case
        (" 98 / 1234567 L\t", "98/1234567L"),  # stray spacing
    ],
)
def test_valid_ids_are_normalised(raw: str, canonical: str) -> None:
    assert parse_pnc_id(raw) == canonical


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("98/1234567A", r"'98/1234567A' has check letter A but 98/1234567 needs L"),
        ("98/1234L", r"'98/1234L' has check letter L but 98/0001234 needs G"),
        ("1998/1234567M", r"check letter M but 98/1234567 needs L"),
        ("98/12345678L", "not in the form YY/NNNNNNNC"),  # 8-digit serial
        ("981234567L", "not in the form YY/NNNNNNNC"),  # no slash
        ("198/1234567L", "not in the form YY/NNNNNNNC"),  # 3-digit year
        ("2198/1234567L", "not in the form YY/NNNNNNNC"),  # not a 19xx/20xx year
        ("98/1234567", "not in the form YY/NNNNNNNC"),  # no check letter
        ("98/L", "not in the form YY/NNNNNNNC"),  # no serial
        ("", "not in the form YY/NNNNNNNC"),
    ],
)
def test_invalid_ids_say_what_is_wrong(raw: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_pnc_id(raw)


def test_check_letter_for_generators_matches_worked_examples() -> None:
    assert pnc_check_letter(98, 1234567) == "L"
    assert pnc_check_letter(98, 1234) == "G"
    assert pnc_check_letter(5, 1) == "B"
    assert pnc_check_letter(0, 0) == "Z"


@pytest.mark.parametrize(("year2", "serial"), [(100, 1), (-1, 1), (98, 10_000_000), (98, -1)])
def test_check_letter_refuses_out_of_range_parts(year2: int, serial: int) -> None:
    with pytest.raises(ValueError, match="must be"):
        pnc_check_letter(year2, serial)


years = st.integers(min_value=0, max_value=99)
serials = st.integers(min_value=0, max_value=9_999_999)


@given(year2=years, serial=serials)
def test_any_id_with_its_computed_letter_parses(year2: int, serial: int) -> None:
    pnc = f"{year2:02d}/{serial}{pnc_check_letter(year2, serial)}"
    assert parse_pnc_id(pnc) == f"{year2:02d}/{serial:07d}{pnc_check_letter(year2, serial)}"


@given(year2=years, serial=serials, wrong=st.sampled_from(CHECK_LETTERS))
def test_any_other_letter_fails(year2: int, serial: int, wrong: str) -> None:
    right = pnc_check_letter(year2, serial)
    assume(wrong != right)
    with pytest.raises(ValueError, match=f"needs {right}"):
        parse_pnc_id(f"{year2:02d}/{serial:07d}{wrong}")
