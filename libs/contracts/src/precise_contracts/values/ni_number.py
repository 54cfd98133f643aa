"""National Insurance number, canonically ``AB123456C`` (upper case, no spaces).

Rules (HMRC, as applied by HMRC's own ``uk.gov.hmrc.domain.Nino``): the first letter is never D, F, I, Q, U
or V; the second never D, F, I, O, Q, U or V; the prefixes BG, GB, KN, NK, NT, TN and ZZ are never issued;
six digits follow; the final letter is A, B, C or D. TN numbers are temporary stand-ins, not identifiers.
"""

import re
from typing import Annotated

from pydantic import AfterValidator

from precise_contracts.values._schema import string_schema
from precise_contracts.values._text import compact

_SHAPE = re.compile(r"(?P<prefix>[A-Z]{2})[0-9]{6}(?P<suffix>[A-Z])")
_FIRST_LETTER = "[A-CEGHJ-PR-TW-Z]"
_SECOND_LETTER = "[A-CEGHJ-NPR-TW-Z]"
_NEVER_ISSUED = frozenset({"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"})
PATTERN = rf"(?!BG|GB|KN|NK|NT|TN|ZZ){_FIRST_LETTER}{_SECOND_LETTER}[0-9]{{6}}[A-D]"


def _prefix_problem(prefix: str) -> str | None:
    if prefix == "TN":
        return "TN marks a temporary number, which does not identify anyone"
    if prefix in _NEVER_ISSUED:
        return f"prefix {prefix} is never issued"
    if re.fullmatch(_FIRST_LETTER, prefix[0]) is None:
        return f"the first letter is never {prefix[0]} (never D, F, I, Q, U or V)"
    if re.fullmatch(_SECOND_LETTER, prefix[1]) is None:
        return f"the second letter is never {prefix[1]} (never D, F, I, O, Q, U or V)"
    return None


def parse_ni_number(value: str) -> str:
    """Validate a National Insurance number and return it as ``AB123456C``; raise ValueError if invalid."""
    text = compact(value)
    shape = _SHAPE.fullmatch(text)
    if shape is None:
        raise ValueError(
            f"National Insurance number {value!r} is not in the form AB123456C (two letters, six digits, "
            "a final letter A-D)"
        )
    if problem := _prefix_problem(shape["prefix"]):
        raise ValueError(f"National Insurance number {value!r} is not valid: {problem}")
    if shape["suffix"] not in "ABCD":
        raise ValueError(f"National Insurance number {value!r} ends in {shape['suffix']}, but the final letter is A-D")
    return text


NiNumber = Annotated[
    str,
    AfterValidator(parse_ni_number),
    string_schema(
        pattern=PATTERN,
        description="UK National Insurance number: two prefix letters, six digits, final letter A-D.",
        example="AB123456C",
    ),
]
