"""The modulus-23 check letter used by PNC IDs and CRO numbers.

The digits are read as one integer; its remainder modulo 23 indexes the alphabet without I, O and S (which
are too easily misread as 1, 0 and 5), with Z standing for a remainder of 0.
"""

CHECK_LETTERS = "ZABCDEFGHJKLMNPQRTUVWXY"

# The same letters as a regex character class, for patterns.
CHECK_LETTER_CLASS = "[A-HJ-NP-RT-Z]"


def mod23_check_letter(digits: str) -> str:
    """The check letter for a string of decimal digits, e.g. ``"981234567"`` -> ``"L"``."""
    if not digits.isascii() or not digits.isdigit():
        raise ValueError(f"check letter input {digits!r} must be decimal digits")
    return CHECK_LETTERS[int(digits) % len(CHECK_LETTERS)]


def year_serial_check_letter(what: str, year2: int, serial: int, serial_digits: int) -> str:
    """The check letter over a two-digit year followed by a zero-padded serial, as PNC and CRO use."""
    if not 0 <= year2 <= 99:
        raise ValueError(f"{what} year {year2} must be two digits (0-99)")
    if not 0 <= serial < 10**serial_digits:
        raise ValueError(f"{what} serial {serial} must be 0-{10**serial_digits - 1}")
    return mod23_check_letter(f"{year2:02d}{serial:0{serial_digits}d}")
