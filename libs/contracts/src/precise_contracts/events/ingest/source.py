"""Provenance: which system a record came from, its id there, when it was recorded and when it must be
reviewed (Management of Police Information), and the hash that makes ingesting it idempotent."""

from __future__ import annotations

import re
from datetime import date
from enum import StrEnum
from typing import Annotated, Self

from pydantic import AfterValidator, Field, StringConstraints, model_validator

from precise_contracts.events.ingest._part import Identifier, Part, check_review_date
from precise_contracts.values._schema import string_schema

_SHA256 = re.compile(r"[0-9a-f]{64}")


def parse_sha256(value: str) -> str:
    """A SHA-256 digest as 64 lower-case hex digits; raise ValueError if it is not one."""
    text = value.strip().lower()
    if _SHA256.fullmatch(text) is None:
        raise ValueError(f"SHA-256 digest {value!r} is not 64 hexadecimal digits")
    return text


Sha256 = Annotated[
    str,
    AfterValidator(parse_sha256),
    string_schema(
        pattern="[0-9a-f]{64}",
        description="SHA-256 digest, 64 lower-case hex digits.",
        example="9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    ),
]

LegacySystemName = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")]


class SourceSystem(StrEnum):
    """The system a record was read from: the Police National Computer, the National ANPR Service, IDENT1
    (the national fingerprint and biometric system), or one of a force's legacy systems (named separately)."""

    PNC = "pnc"
    ANPR = "anpr"
    IDENT1 = "ident1"
    LEGACY = "legacy"


class SourceSystemRef(Part):
    """A source system, with the name of the legacy system when it is one."""

    system: SourceSystem = Field(description="The system the record was read from.")
    legacy_system: LegacySystemName | None = Field(
        default=None,
        description=(
            "For system=legacy only: which legacy system, as named by its mapping file (lower case, digits and "
            "hyphens, e.g. niche-rms). Absent for the national systems."
        ),
    )

    @model_validator(mode="after")
    def _legacy_systems_are_named(self) -> Self:
        if self.system is SourceSystem.LEGACY and self.legacy_system is None:
            raise ValueError("a legacy source needs legacy_system, the name of the legacy system")
        if self.system is not SourceSystem.LEGACY and self.legacy_system is not None:
            raise ValueError(f"legacy_system is only for legacy sources, not {self.system}")
        return self

    def label(self) -> str:
        """The source as one token: ``pnc``, ``ident1``, ``legacy/niche-rms``."""
        return f"{self.system}/{self.legacy_system}" if self.legacy_system else str(self.system)


class SourceRecordRef(SourceSystemRef):
    """Where one record came from: every fact derived from it keeps this provenance."""

    record_id: Identifier = Field(description="The record's id in its source system, as the source wrote it.")
    recorded_on: date = Field(description="The date the source recorded (or last changed) the record.")
    review_by: date | None = Field(
        default=None,
        description="MoPI review date: by when the record must be re-assessed; absent if the source gives none.",
    )
    content_hash: Sha256 = Field(
        description=(
            "SHA-256 of the record's canonical form. With the source and record id it is the idempotency key: "
            "the same hash again is a duplicate, a new hash for the same id an update."
        )
    )

    @model_validator(mode="after")
    def _review_follows_recording(self) -> Self:
        check_review_date("source record", self.recorded_on, self.review_by)
        return self

    def key(self) -> str:
        """The record's identity across sources: ``pnc:98/1234567L``, ``legacy/niche-rms:N-1234``."""
        return f"{self.label()}:{self.record_id}"


class BlobRef(Part):
    """A file kept in the blob store (an image, a raw biometric record), addressed by its content."""

    key: str = Field(
        min_length=1, max_length=1024, description="The blob's key (path) in the producing service's container."
    )
    sha256: Sha256 = Field(description="SHA-256 of the blob's bytes, to prove it has not changed.")
