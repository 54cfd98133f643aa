"""A police force (or other law enforcement agency) as PNC identifies it."""

from __future__ import annotations

from pydantic import Field

from precise_contracts.events.ingest._part import Label, Part


class PoliceForce(Part):
    """A force by its PNC force code, with the name the source gave it."""

    code: str = Field(
        pattern=r"^[0-9]{2}$",
        description="Two-digit PNC force code, e.g. 01 for the Metropolitan Police Service (also in ASNs).",
    )
    name: Label | None = Field(default=None, description="The force's name as the source wrote it, if given.")
