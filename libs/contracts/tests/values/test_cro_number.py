import pytest

from precise_contracts.values.cro_number import cro_check_letter, parse_cro_number

# Worked by hand: int(YY + serial) mod 23, indexed into ZABCDEFGHJKLMNPQRTUVWXY.
# Standard form pads the serial to 6 digits; the fingerprint-only (SF) form uses it as written.
#   98123456 = 23 * 4266237 + 5  -> E   (123456/98)
#   98000042 = 23 * 4260871 + 9  -> J   (42/98 -> 000042/98)
#       9842 = 23 * 427 + 21     -> X   (SF98/42)
#     980042 = 23 * 42610 + 12   -> M   (SF98/0042)


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("123456/98E", "123456/98E"),
        ("42/98J", "000042/98J"),  # short serial padded
        ("123456/98e", "123456/98E"),
        (" 123456 / 98 E ", "123456/98E"),
        ("SF98/42X", "SF98/42X"),  # fingerprint-only form kept as written
        ("sf 98/42x", "SF98/42X"),
        ("SF98/0042M", "SF98/0042M"),  # leading zeros count in the SF check
    ],
)
def test_valid_numbers_are_normalised(raw: str, canonical: str) -> None:
    assert parse_cro_number(raw) == canonical


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("123456/98A", r"'123456/98A' has check letter A but 123456/98 needs E"),
        ("42/98E", r"check letter E but 000042/98 needs J"),
        ("SF98/0042X", r"check letter X but SF98/0042 needs M"),
        ("SF98/42M", r"check letter M but SF98/42 needs X"),
        ("1234567/98E", "not in the form NNNNNN/YYC"),  # 7-digit serial
        ("123456/1998E", "not in the form NNNNNN/YYC"),  # 4-digit year
        ("98/123456E", "not in the form NNNNNN/YYC"),  # PNC-style order
        ("SF98/1234567X", "not in the form NNNNNN/YYC"),
        ("123456/98", "not in the form NNNNNN/YYC"),
    ],
)
def test_invalid_numbers_say_what_is_wrong(raw: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_cro_number(raw)


def test_check_letter_for_generators_matches_worked_examples() -> None:
    assert cro_check_letter(98, 123456) == "E"
    assert cro_check_letter(98, 42) == "J"


@pytest.mark.parametrize(("year2", "serial"), [(100, 1), (98, 1_000_000)])
def test_check_letter_refuses_out_of_range_parts(year2: int, serial: int) -> None:
    with pytest.raises(ValueError, match="must be"):
        cro_check_letter(year2, serial)
