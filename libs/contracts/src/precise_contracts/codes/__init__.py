"""Code lists shared by contracts: each a StrEnum of the source's own codes, their meanings and a parser."""

from precise_contracts.codes.warning_markers import MEANINGS, WarningCode, meaning, parse_warning_code

__all__ = ["MEANINGS", "WarningCode", "meaning", "parse_warning_code"]
