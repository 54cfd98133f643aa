"""The stated purpose of a read of personal data: the `Precise-Purpose` header, "<reference>; <reason>".

The reference is the incident or case the read is for (e.g. "INC-20261122-0042", "CASE/2026/0815"); the
reason is the caller's own words. Both go to the audit log, so an auditor can ask "why did you look?".
"""

from __future__ import annotations

import re
from dataclasses import dataclass

PURPOSE_HEADER = "Precise-Purpose"
REFERENCE_MAX = 40
REASON_MIN = 3
REASON_MAX = 500

# Letters and digits joined by '-' or '/'; at least one digit, because every incident or case reference a
# force issues is numbered, and that keeps out "none", "N/A" and "test".
_REFERENCE = re.compile(r"^(?=[^0-9]*[0-9])[A-Za-z0-9]+(?:[-/][A-Za-z0-9]+)*$")
_EXAMPLE = "INC-20261122-0042; checking warning markers before attending a domestic"


class PurposeError(ValueError):
    """The header is missing or malformed; the message tells the caller what to send instead."""


@dataclass(frozen=True)
class Purpose:
    reference: str
    reason: str

    def __str__(self) -> str:
        return f"{self.reference}; {self.reason}"


def parse_purpose(header: str | None) -> Purpose:
    if header is None or not header.strip():
        raise PurposeError(
            f"a {PURPOSE_HEADER} header is required to read personal data: "
            f"'<incident or case reference>; <reason>', e.g. '{_EXAMPLE}'"
        )
    reference, separator, reason = header.partition(";")
    if not separator:
        raise PurposeError(
            f"{PURPOSE_HEADER} must be '<incident or case reference>; <reason>' with a ';' between them, "
            f"e.g. '{_EXAMPLE}'"
        )
    reference, reason = reference.strip(), reason.strip()
    if not reference:
        raise PurposeError(f"{PURPOSE_HEADER} has no incident or case reference before the ';'")
    if len(reference) > REFERENCE_MAX or not _REFERENCE.match(reference):
        raise PurposeError(
            f"{reference[:REFERENCE_MAX]!r} is not an incident or case reference: use letters and digits "
            f"joined by '-' or '/', with at least one digit, up to {REFERENCE_MAX} characters "
            "(e.g. 'INC-20261122-0042' or 'CASE/2026/0815')"
        )
    if len(reason) < REASON_MIN:
        raise PurposeError(f"{PURPOSE_HEADER} needs a reason after the ';', at least {REASON_MIN} characters")
    if len(reason) > REASON_MAX:
        raise PurposeError(
            f"the reason in {PURPOSE_HEADER} is {len(reason)} characters long; the limit is {REASON_MAX}"
        )
    return Purpose(reference=reference, reason=reason)
