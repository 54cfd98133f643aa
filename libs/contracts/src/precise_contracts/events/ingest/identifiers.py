"""Identifiers the ingest contracts validate beyond those in ``precise_contracts.values``: driving licence,
passport and phone numbers, and the arrest summons number. Each has a ``parse_*`` function that raises
ValueError naming the value and what is wrong, and an ``Annotated`` field type built on it.

Driving licence (DVLA, Great Britain), 16 characters, e.g. ``MORGA753116SM9IJ``: five characters of the
surname padded with 9s; the decade digit of the year of birth; the month of birth, plus 50 for women; the
day of birth; the year digit; the first two initials (9 when there is no middle name); an arbitrary digit
(usually 9); two computer check characters, whose algorithm DVLA does not publish and which are not checked.
Northern Ireland (DVA) licences carry 8 digits and are accepted as such.

Arrest summons number (ASN), canonically 20 characters, e.g. ``1101ZD0100000410780J`` and written with
slashes as ``11/01ZD/01/410780J``: two-digit year; two-digit PNC force code; two-character unit (station)
code; two-digit system code; a serial of up to 11 digits (zero-padded to 11); and a check letter, the
modulus-23 letter (see ``values.check_letter``) over force + system + year + serial. Source: the Ministry
of Justice's Bichard7 (``bichard7-next-core`` ``isAsnValid`` and its ``Asn`` class), which validates ASNs
arriving from the courts; the 21-character form with an organisation top-level code is not accepted.
"""

from __future__ import annotations

import calendar
import re
from typing import Annotated, Self

from pydantic import AfterValidator, Field, field_validator, model_validator

from precise_contracts.events.ingest._part import Part
from precise_contracts.values._schema import string_schema
from precise_contracts.values._text import compact
from precise_contracts.values.check_letter import CHECK_LETTER_CLASS, mod23_check_letter

_DVLA_LICENCE = re.compile(
    r"(?P<surname>[A-Z9]{5})(?P<decade>[0-9])(?P<month>[0-9]{2})(?P<day>[0-9]{2})(?P<year>[0-9])"
    r"(?P<initials>[A-Z][A-Z9])[0-9](?P<check>[A-Z0-9]{2})"
)
_DVA_LICENCE = re.compile(r"[0-9]{8}")
_SURNAME_PART = re.compile(r"[A-Z]+9*")
DRIVING_LICENCE_PATTERN = r"[A-Z9]{5}[0-9](?:[0156][0-9])[0-3][0-9][0-9][A-Z][A-Z9][0-9][A-Z0-9]{2}|[0-9]{8}"
WOMAN_MONTH_OFFSET = 50
_LEAP_YEAR = 2000  # the century is not in the number, so 29 February is always a possible birthday


def parse_driving_licence(value: str) -> str:
    """Validate a GB (DVLA) or Northern Ireland (DVA) driving licence number; return it upper case, unspaced."""
    text = compact(value)
    if _DVA_LICENCE.fullmatch(text):
        return text
    match = _DVLA_LICENCE.fullmatch(text)
    if match is None:
        raise ValueError(
            f"driving licence number {value!r} is not a DVLA number (16 characters: 5 of surname, 6 digits of "
            "birth date, 2 initials, a digit, 2 check characters) nor a DVA number (8 digits)"
        )
    if _SURNAME_PART.fullmatch(match["surname"]) is None:
        raise ValueError(
            f"driving licence number {value!r} starts {match['surname']}, but the surname part is letters "
            "padded with trailing 9s"
        )
    month = int(match["month"])
    month -= WOMAN_MONTH_OFFSET if month > WOMAN_MONTH_OFFSET else 0
    if not 1 <= month <= 12:
        raise ValueError(
            f"driving licence number {value!r} has birth month {match['month']}; it must be 01-12 (51-62 for women)"
        )
    day = int(match["day"])
    if not 1 <= day <= calendar.monthrange(_LEAP_YEAR, month)[1]:
        raise ValueError(f"driving licence number {value!r} has day {match['day']}, which month {month} does not have")
    return text


DrivingLicenceNumber = Annotated[
    str,
    AfterValidator(parse_driving_licence),
    string_schema(
        pattern=DRIVING_LICENCE_PATTERN,
        description="GB (DVLA) 16-character or Northern Ireland (DVA) 8-digit driving licence number.",
        example="MORGA753116SM9IJ",
    ),
]

_ASN = re.compile(
    r"(?P<year>[0-9]{2})(?P<force>[0-9]{2})(?P<unit>[A-Z0-9]{2})(?P<system>[0-9]{2})(?P<serial>[0-9]{1,11})"
    r"(?P<check>[A-Z])"
)
ASN_SERIAL_DIGITS = 11
ASN_PATTERN = r"[0-9]{4}[A-Z0-9]{2}[0-9]{13}" + CHECK_LETTER_CLASS


def asn_check_letter(*, year: str, force: str, system: str, serial: str) -> str:
    """The check letter of an ASN from its parts (digit strings); the serial is zero-padded to 11 digits."""
    return mod23_check_letter(force + system + year + serial.zfill(ASN_SERIAL_DIGITS))


def parse_asn(value: str) -> str:
    """Validate an arrest summons number, with or without slashes; return its 20-character form."""
    text = compact(value).replace("/", "")
    match = _ASN.fullmatch(text)
    if match is None:
        raise ValueError(
            f"arrest summons number {value!r} is not in the form YY/FFUU/SS/N...C (year, force code, unit, "
            "system, serial of up to 11 digits, check letter)"
        )
    serial = match["serial"].zfill(ASN_SERIAL_DIGITS)
    expected = asn_check_letter(year=match["year"], force=match["force"], system=match["system"], serial=serial)
    if match["check"] != expected:
        raise ValueError(f"arrest summons number {value!r} has check letter {match['check']} but needs {expected}")
    return f"{match['year']}{match['force']}{match['unit']}{match['system']}{serial}{expected}"


ArrestSummonsNumber = Annotated[
    str,
    AfterValidator(parse_asn),
    string_schema(
        pattern=ASN_PATTERN,
        description=(
            "Arrest summons number, 20 characters: year, PNC force code, unit, system, 11-digit serial, check letter."
        ),
        example="1101ZD0100000410780J",
    ),
]

_PHONE_PUNCTUATION = re.compile(r"[\s().-]")
_E164 = re.compile(r"\+[1-9][0-9]{7,14}")
_UK_NATIONAL = re.compile(r"\+44[1-357-9][0-9]{8,9}")
UK_COUNTRY_CODE = "+44"


def parse_phone_number(value: str) -> str:
    """A phone number in E.164 form (``+447700900123``); UK numbers may be written nationally (``07700 900123``)."""
    text = _PHONE_PUNCTUATION.sub("", value.replace("(0)", ""))
    if text.startswith("00"):
        text = "+" + text[2:]
    elif text.startswith("0"):
        text = UK_COUNTRY_CODE + text[1:]
    if _E164.fullmatch(text) is None:
        raise ValueError(
            f"phone number {value!r} is neither a UK number (0, then 9 or 10 digits) nor an international one "
            "(+ or 00, country code, up to 15 digits)"
        )
    if text.startswith(UK_COUNTRY_CODE) and _UK_NATIONAL.fullmatch(text) is None:
        raise ValueError(
            f"phone number {value!r} is not a UK number: after +44 or 0 come 9 or 10 digits, not 0, 4 or 6"
        )
    return text


PhoneNumber = Annotated[
    str,
    AfterValidator(parse_phone_number),
    string_schema(pattern=_E164.pattern, description="Phone number in E.164 form.", example="+447700900123"),
]

_UK_PASSPORT = re.compile(r"[0-9]{9}")
_ICAO_DOCUMENT_NUMBER = re.compile(r"[A-Z0-9]{5,9}")
UNITED_KINGDOM = "GBR"


class Passport(Part):
    """A passport: its number and the state that issued it."""

    number: str = Field(
        description="The document number: 9 digits for the UK, up to 9 letters and digits (ICAO 9303) elsewhere."
    )
    issuing_state: str = Field(
        pattern=r"^[A-Z]{3}$", description="ICAO / ISO 3166-1 alpha-3 code of the issuing state, e.g. GBR."
    )

    @field_validator("number")
    @classmethod
    def _document_number(cls, value: str) -> str:
        text = compact(value)
        if _ICAO_DOCUMENT_NUMBER.fullmatch(text) is None:
            raise ValueError(f"passport number {value!r} is not 5-9 letters and digits")
        return text

    @model_validator(mode="after")
    def _uk_passports_have_nine_digits(self) -> Self:
        if self.issuing_state == UNITED_KINGDOM and _UK_PASSPORT.fullmatch(self.number) is None:
            raise ValueError(f"UK passport number {self.number!r} is not 9 digits")
        return self
