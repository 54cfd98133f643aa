"""UK postcode, canonically upper case with one space before the three-character inward code (``SW1A 1AA``).

The outward code is one of A9, A99, A9A, AA9, AA99 or AA9A; the inward code is 9AA. Letters follow the
Royal Mail rules published with the UK Government Data Standards Catalogue pattern: Q, V and X never come
first; I, J and Z never second; only ABCDEFGHJKPSTUW end an A9A outward code and only ABEHMNPRVWXY an AA9A
one; the inward letters never use C, I, K, M, O or V. ``GIR 0AA`` (Girobank) is the one exception.
Whether a district exists is address data, not format, and is not checked here.
"""

import re
from typing import Annotated

from pydantic import AfterValidator

from precise_contracts.values._schema import string_schema
from precise_contracts.values._text import compact

_GIROBANK = "GIR0AA"
_SHAPE = re.compile(r"(?P<outward>[A-Z]{1,2}[0-9][A-Z0-9]?)(?P<inward>[0-9][A-Z]{2})")
_OUTWARD = "[A-PR-UWYZ](?:[0-9][0-9]?|[A-HK-Y][0-9][0-9]?|[0-9][A-HJKPSTUW]|[A-HK-Y][0-9][ABEHMNPRV-Y])"
_INWARD = "[0-9][ABD-HJLNP-UW-Z]{2}"
PATTERN = f"GIR 0AA|{_OUTWARD} {_INWARD}"


def parse_postcode(value: str) -> str:
    """Validate a UK postcode and return it as ``OUTWARD INWARD``; raise ValueError saying what is wrong."""
    text = compact(value)
    if text == _GIROBANK:
        return "GIR 0AA"
    shape = _SHAPE.fullmatch(text)
    if shape is None:
        raise ValueError(
            f"postcode {value!r} is not a UK postcode (outward code A9, A99, A9A, AA9, AA99 or AA9A, "
            "then inward code 9AA)"
        )
    outward_code, inward_code = shape["outward"], shape["inward"]
    if re.fullmatch(_OUTWARD, outward_code) is None:
        raise ValueError(
            f"postcode {value!r} has outward code {outward_code} with a letter Royal Mail never uses there "
            "(Q, V, X never first; I, J, Z never second; A9A ends in ABCDEFGHJKPSTUW, AA9A in ABEHMNPRVWXY)"
        )
    if re.fullmatch(_INWARD, inward_code) is None:
        raise ValueError(
            f"postcode {value!r} has inward code {inward_code}, but inward codes never use C, I, K, M, O or V"
        )
    return f"{outward_code} {inward_code}"


def outward(postcode: str) -> str:
    """The outward code (area and district, e.g. ``SW1A``) of a postcode in any case or spacing."""
    return parse_postcode(postcode).split(" ")[0]


def inward(postcode: str) -> str:
    """The inward code (sector and unit, e.g. ``1AA``) of a postcode in any case or spacing."""
    return parse_postcode(postcode).split(" ")[1]


Postcode = Annotated[
    str,
    AfterValidator(parse_postcode),
    string_schema(
        pattern=PATTERN,
        description="UK postcode, upper case, one space between outward and inward code.",
        example="SW1A 1AA",
    ),
]
