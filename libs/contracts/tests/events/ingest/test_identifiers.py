import pytest
from pydantic import ValidationError

from precise_contracts.events.ingest.identifiers import (
    Passport,
    asn_check_letter,
    parse_asn,
    parse_driving_licence,
    parse_phone_number,
)


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("MORGA753116SM9IJ", "MORGA753116SM9IJ"),  # a woman born 11 March 1976 (month 53)
        ("MORGA703116SM9IJ", "MORGA703116SM9IJ"),  # the same date for a man
        ("morga 753116 sm9ij", "MORGA753116SM9IJ"),  # as typed from the card
        ("LI999804211J99AB", "LI999804211J99AB"),  # short surname padded with 9s, no middle initial
        ("MORGA702296SM9IJ", "MORGA702296SM9IJ"),  # 29 February
        ("12345678", "12345678"),  # Northern Ireland (DVA)
    ],
)
def test_driving_licence_numbers_are_accepted_and_normalised(raw: str, canonical: str) -> None:
    assert parse_driving_licence(raw) == canonical


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("MORGA713116SM9IJ", "has birth month 13; it must be 01-12 \\(51-62 for women\\)"),
        ("MORGA763116SM9IJ", "has birth month 63"),
        ("MORGA700016SM9IJ", "has birth month 00"),
        ("MORGA702306SM9IJ", "has day 30, which month 2 does not have"),
        ("MORGA704316SM9IJ", "has day 31, which month 4 does not have"),
        ("MO9GA753116SM9IJ", "the surname part is letters padded with trailing 9s"),
        ("MORGA753116SM9I", "is not a DVLA number"),  # 15 characters
        ("MORGA75311SSM9IJ", "is not a DVLA number"),  # a letter in the birth date
        ("1234567", "is not a DVLA number"),
    ],
)
def test_driving_licence_numbers_that_cannot_be_real_are_refused(raw: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_driving_licence(raw)


# Bichard7's own test data: 1101ZD0100000410780J and 1101ZD0100000410836V are valid, while
# 1101ZD0100000448754J is not (its check letter is K). By hand: int("01" + "01" + "11" + "00000410780") mod 23
# = 1011100000410780 mod 23 = 9 -> J.
@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("1101ZD0100000410780J", "1101ZD0100000410780J"),
        ("1101ZD0100000410836V", "1101ZD0100000410836V"),
        ("11/01ZD/01/410780J", "1101ZD0100000410780J"),  # as written, serial without its zeros
        ("11/01zd/01/00000410780j", "1101ZD0100000410780J"),
        ("1101ZD0100000448754K", "1101ZD0100000448754K"),
    ],
)
def test_arrest_summons_numbers_are_validated_and_normalised(raw: str, canonical: str) -> None:
    assert parse_asn(raw) == canonical


def test_the_asn_check_letter_covers_force_system_year_and_serial() -> None:
    assert asn_check_letter(year="11", force="01", system="01", serial="410780") == "J"
    assert asn_check_letter(year="12", force="01", system="01", serial="448697") == "X"


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("1101ZD0100000448754J", "has check letter J but needs K"),
        ("11/01ZD/01/410780K", "has check letter K but needs J"),
        ("1101ZD01000004107801J", "is not in the form YY/FFUU/SS/N...C"),  # a 12-digit serial
        ("11A1ZD0100000410780J", "is not in the form"),  # force code not digits
        ("1101ZD0100000410780", "is not in the form"),  # no check letter
    ],
)
def test_bad_arrest_summons_numbers_say_what_is_wrong(raw: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_asn(raw)


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("07700 900123", "+447700900123"),
        ("+44 (0)20 7946 0018", "+442079460018"),
        ("0044 7700 900123", "+447700900123"),
        ("(020) 7946-0018", "+442079460018"),
        ("+33 1 23 45 67 89", "+33123456789"),
    ],
)
def test_phone_numbers_are_normalised_to_e164(raw: str, e164: str) -> None:
    assert parse_phone_number(raw) == e164


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("12345", "is neither a UK number"),
        ("07700 900123 ext 4", "is neither a UK number"),
        ("+44 0207 946 0018", "is not a UK number: after \\+44 or 0 come 9 or 10 digits"),
        ("0400 123 4567", "is not a UK number"),  # UK numbers never start 04
    ],
)
def test_phone_numbers_that_cannot_be_dialled_are_refused(raw: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_phone_number(raw)


def test_uk_passports_have_nine_digits() -> None:
    assert Passport(number="123 456 789", issuing_state="GBR").number == "123456789"
    with pytest.raises(ValidationError, match="UK passport number '12345678' is not 9 digits"):
        Passport(number="12345678", issuing_state="GBR")


def test_other_states_passports_follow_icao() -> None:
    assert Passport(number="12ab34567", issuing_state="FRA").number == "12AB34567"
    with pytest.raises(ValidationError, match="is not 5-9 letters and digits"):
        Passport(number="12AB345678", issuing_state="FRA")
    with pytest.raises(ValidationError, match="issuing_state"):
        Passport(number="12AB34567", issuing_state="fr")
