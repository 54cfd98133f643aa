"""CRO number: the Criminal Records Office number, canonically ``NNNNNN/YYC``.

``NNNNNN`` is a serial zero-padded to six digits, ``YY`` a two-digit year and ``C`` the modulus-23 check
letter (see ``check_letter``) over the eight digits ``YYNNNNNN`` -- year first, although it is written
second. The older fingerprint-only form ``SFYY/N...C`` is also accepted; its check letter is computed over
the year followed by the serial exactly as written (not padded), and it is kept as written.

Source: no Home Office specification is public. The algorithm and the SF form follow the Ministry of
Justice's production validators (ministryofjustice/hmpps-person-record ``CROIdentifier.kt`` and the HMPPS
front-end ``croFormatValidator``), which agree with each other; treat them as the best available
reference, not as the specification.
"""

import re
from typing import Annotated

from pydantic import AfterValidator

from precise_contracts.values._schema import string_schema
from precise_contracts.values._text import compact
from precise_contracts.values.check_letter import (
    CHECK_LETTER_CLASS,
    mod23_check_letter,
    year_serial_check_letter,
)

SERIAL_DIGITS = 6

_STANDARD = re.compile(r"(?P<serial>[0-9]{1,6})/(?P<year>[0-9]{2})(?P<check>[A-Z])")
_FINGERPRINT_ONLY = re.compile(r"SF(?P<year>[0-9]{2})/(?P<serial>[0-9]{1,6})(?P<check>[A-Z])")
PATTERN = r"(?:[0-9]{6}/[0-9]{2}|SF[0-9]{2}/[0-9]{1,6})" + CHECK_LETTER_CLASS


def cro_check_letter(year2: int, serial: int) -> str:
    """The check letter for a standard-form CRO number with two-digit year ``year2`` and ``serial``."""
    return year_serial_check_letter("CRO", year2, serial, SERIAL_DIGITS)


def parse_cro_number(value: str) -> str:
    """Validate a CRO number and return its canonical form; raise ValueError saying what is wrong."""
    text = compact(value)
    if standard := _STANDARD.fullmatch(text):
        serial, year, check = standard["serial"].zfill(SERIAL_DIGITS), standard["year"], standard["check"]
        body = f"{serial}/{year}"
    elif fingerprint_only := _FINGERPRINT_ONLY.fullmatch(text):
        serial, year, check = fingerprint_only["serial"], fingerprint_only["year"], fingerprint_only["check"]
        body = f"SF{year}/{serial}"
    else:
        raise ValueError(
            f"CRO number {value!r} is not in the form NNNNNN/YYC (serial of up to 6 digits, '/', "
            "2-digit year, check letter) or the fingerprint-only form SFYY/NNNNNNC"
        )
    expected = mod23_check_letter(year + serial)
    if check != expected:
        raise ValueError(f"CRO number {value!r} has check letter {check} but {body} needs {expected}")
    return body + expected


CroNumber = Annotated[
    str,
    AfterValidator(parse_cro_number),
    string_schema(
        pattern=PATTERN,
        description=(
            "Criminal Records Office number: 6-digit serial, '/', 2-digit year, check letter "
            "(or the fingerprint-only form SFYY/serial+check letter)."
        ),
        example="123456/98E",
    ),
]
