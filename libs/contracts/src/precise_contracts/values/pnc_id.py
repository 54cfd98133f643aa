"""PNC ID: the Police National Computer's person identifier, canonically ``YY/NNNNNNNC``.

``YY`` is the year the record was created, ``NNNNNNN`` a serial zero-padded to seven digits and ``C`` the
modulus-23 check letter over the nine digits ``YYNNNNNNN`` (see ``check_letter``). Records and forms also
write the year in full and drop the serial's leading zeros (``1998/1234L``); both are accepted and
normalised.
"""

import re
from typing import Annotated

from pydantic import AfterValidator

from precise_contracts.values._schema import string_schema
from precise_contracts.values._text import compact
from precise_contracts.values.check_letter import CHECK_LETTER_CLASS, year_serial_check_letter

SERIAL_DIGITS = 7

_INPUT = re.compile(r"(?P<year>(?:19|20)?[0-9]{2})/(?P<serial>[0-9]{1,7})(?P<check>[A-Z])")
PATTERN = r"[0-9]{2}/[0-9]{7}" + CHECK_LETTER_CLASS


def pnc_check_letter(year2: int, serial: int) -> str:
    """The check letter for a PNC ID with two-digit year ``year2`` and serial number ``serial``."""
    return year_serial_check_letter("PNC", year2, serial, SERIAL_DIGITS)


def parse_pnc_id(value: str) -> str:
    """Validate a PNC ID and return it as ``YY/NNNNNNNC``; raise ValueError saying what is wrong."""
    match = _INPUT.fullmatch(compact(value))
    if match is None:
        raise ValueError(
            f"PNC ID {value!r} is not in the form YY/NNNNNNNC "
            "(2- or 4-digit year, '/', serial of up to 7 digits, check letter)"
        )
    year2 = match["year"][-2:]
    serial = match["serial"].zfill(SERIAL_DIGITS)
    expected = pnc_check_letter(int(year2), int(serial))
    if match["check"] != expected:
        raise ValueError(f"PNC ID {value!r} has check letter {match['check']} but {year2}/{serial} needs {expected}")
    return f"{year2}/{serial}{expected}"


PncId = Annotated[
    str,
    AfterValidator(parse_pnc_id),
    string_schema(
        pattern=PATTERN,
        description="Police National Computer person ID: 2-digit year, '/', 7-digit serial, check letter.",
        example="98/1234567L",
    ),
]
