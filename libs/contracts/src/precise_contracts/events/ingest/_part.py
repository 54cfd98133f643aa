"""What every part of an ingest event shares: the frozen, closed model base and the text types."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints


class Part(BaseModel):
    """A value nested inside an event: frozen and closed, like the event itself. NaN and infinity are refused,
    as no measurement a source sends (a confidence, a coordinate) can be either."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)


# Ids as the source wrote them: record ids, camera ids, references. Printable: a control character (a NUL, a
# line break) in an id is a broken export, and no database keys a record by text holding a NUL.
Identifier = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=128, pattern=r"^[^\x00-\x1f\x7f]+$")
]
# One line of human text: a name, a town, an offence summary.
Label = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
# Free text: intelligence, marker details, incident descriptions.
Narrative = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20_000)]


def check_review_date(what: str, recorded_on: date, review_by: date | None) -> None:
    """A MoPI review date falls on or after the day the fact was recorded."""
    if review_by is not None and review_by < recorded_on:
        raise ValueError(f"{what} review_by {review_by} is before its recorded_on {recorded_on}")
