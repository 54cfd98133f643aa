"""VRM: a UK vehicle registration mark, canonically upper case with no spaces (``AB12CDE``).

Formats and the letters DVLA never issues in them (sources: DVLA leaflet INF104 for the current layout;
published guides to the GB and Northern Ireland schemes for the letter rules and older formats):

- CURRENT (September 2001 on), ``AB12CDE``: two-letter memory tag, two-digit age identifier, three random
  letters. The memory tag never uses I, Q or Z; the random letters never use I or Q (Z is allowed).
- PREFIX (1983-2001), ``A123BCD``: year letter, 1-3 digits, three letters. Year letters (here and in
  SUFFIX) never use I, O, Q, U or Z.
- Q_PLATE (1983 on), ``Q123BCD``: the prefix layout with Q, for vehicles of unknown age or identity.
- SUFFIX (1963-1983), ``ABC123D``: three letters, 1-3 digits, year letter.
- NORTHERN_IRELAND, ``AIZ1234`` / ``BIG123``: an optional serial letter and a two-letter county code, then
  1-4 digits (older marks put the digits first). County codes always contain I or Z, which Great Britain
  never used in area codes.
- DATELESS (before 1963), ``1ABC`` / ``ABC1`` / ``AB1234``: 1-3 letters and 1-4 digits, either way round.

Serial numbers run from 1, so a number never starts with 0 (the current age identifier can, e.g. ``05``).
The age identifier is not checked against the calendar: which ones have been issued depends on the date.
Diplomatic (``123D456``) and trade plates are not recognised.
"""

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, StringConstraints

from precise_contracts.values._schema import string_schema
from precise_contracts.values._text import compact


class VrmFormat(StrEnum):
    """Which UK registration scheme a VRM belongs to."""

    CURRENT = "current"
    PREFIX = "prefix"
    Q_PLATE = "q-plate"
    SUFFIX = "suffix"
    NORTHERN_IRELAND = "northern-ireland"
    DATELESS = "dateless"


_MEMORY_TAG_LETTER = "[A-HJ-PR-Y]"
_RANDOM_LETTER = "[A-HJ-PR-Z]"
_YEAR_LETTER = "[A-HJ-NPR-TV-Y]"
_NI_COUNTY_CODE = "(?:[IZ][A-Z]|[A-Z][IZ])"


def _number(max_digits: int) -> str:
    """A serial number of up to ``max_digits`` digits; serials start at 1, so never a leading 0."""
    return f"[1-9][0-9]{{0,{max_digits - 1}}}"


@dataclass(frozen=True)
class _Layout:
    format: VrmFormat
    issuable: re.Pattern[str]  # a mark DVLA could issue in this format
    shape: re.Pattern[str]  # the layout alone, to name the rule a near miss breaks
    rules: str


def _layout(kind: VrmFormat, issuable: str, shape: str, rules: str) -> _Layout:
    return _Layout(kind, re.compile(issuable), re.compile(shape), rules)


# Tried in order: a Q plate has the prefix layout, and a Northern Ireland mark the dateless one.
_LAYOUTS = (
    _layout(
        VrmFormat.CURRENT,
        f"{_MEMORY_TAG_LETTER}{{2}}[0-9]{{2}}{_RANDOM_LETTER}{{3}}",
        "[A-Z]{2}[0-9]{2}[A-Z]{3}",
        "DVLA never issues I, Q or Z in the first two letters, or I or Q in the last three",
    ),
    _layout(
        VrmFormat.Q_PLATE,
        f"Q{_number(3)}[A-Z]{{3}}",
        "Q[0-9]{1,3}[A-Z]{3}",
        "DVLA never issues a number starting with 0",
    ),
    _layout(
        VrmFormat.PREFIX,
        f"{_YEAR_LETTER}{_number(3)}[A-Z]{{3}}",
        "[A-Z][0-9]{1,3}[A-Z]{3}",
        "DVLA never issues year letter I, O, U or Z, nor a number starting with 0",
    ),
    _layout(
        VrmFormat.SUFFIX,
        f"[A-Z]{{3}}{_number(3)}{_YEAR_LETTER}",
        "[A-Z]{3}[0-9]{1,3}[A-Z]",
        "DVLA never issues year letter I, O, Q, U or Z, nor a number starting with 0",
    ),
    _layout(
        VrmFormat.NORTHERN_IRELAND,
        f"[A-Z]?{_NI_COUNTY_CODE}{_number(4)}|{_number(4)}{_NI_COUNTY_CODE}",
        f"[A-Z]?{_NI_COUNTY_CODE}[0-9]{{1,4}}|[0-9]{{1,4}}{_NI_COUNTY_CODE}",
        "DVLA never issues a number starting with 0",
    ),
    _layout(
        VrmFormat.DATELESS,
        f"[A-Z]{{1,3}}{_number(4)}|{_number(4)}[A-Z]{{1,3}}",
        "[A-Z]{1,3}[0-9]{1,4}|[0-9]{1,4}[A-Z]{1,3}",
        "DVLA never issues a number starting with 0",
    ),
)


def vrm_format(vrm: str) -> VrmFormat:
    """The format of a VRM (any case or spacing); raise ValueError if DVLA could not have issued it."""
    text = compact(vrm)
    for layout in _LAYOUTS:
        if layout.issuable.fullmatch(text):
            return layout.format
    for layout in _LAYOUTS:
        if layout.shape.fullmatch(text):
            raise ValueError(f"VRM {vrm!r} has the {layout.format} layout, but {layout.rules}")
    raise ValueError(
        f"VRM {vrm!r} matches no UK registration format (current AB12CDE, prefix A123BCD, suffix ABC123D, "
        "Q plate Q123BCD, Northern Ireland AIZ1234, or dateless 1-3 letters and 1-4 digits)"
    )


PATTERN = "|".join(layout.issuable.pattern for layout in _LAYOUTS)
_CANONICAL = re.compile(PATTERN)


def parse_vrm(value: str) -> str:
    """Validate a VRM and return it upper case without spaces; raise ValueError saying what is wrong."""
    if _CANONICAL.fullmatch(value):
        return value  # already canonical, as almost every ANPR read is: one match, nothing to explain
    vrm_format(value)
    return compact(value)


Vrm = Annotated[
    str,
    AfterValidator(parse_vrm),
    string_schema(
        pattern=PATTERN,
        description="UK vehicle registration mark, upper case without spaces.",
        example="AB12CDE",
    ),
]

# A VRM as events carry it: its producer has already normalised it, so the pattern alone (checked in
# pydantic-core, with no Python call per value) says whether it is one. A consumer of 50,000 ANPR reads a second
# validates it per read.
CanonicalVrm = Annotated[
    str,
    StringConstraints(pattern=f"^(?:{PATTERN})$"),
    string_schema(
        pattern=PATTERN,
        description="UK vehicle registration mark in canonical form: upper case without spaces.",
        example="AB12CDE",
    ),
]
