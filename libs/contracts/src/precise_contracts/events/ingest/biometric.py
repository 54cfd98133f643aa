"""IDENT1 results: whether a set of fingerprints (or other biometrics) taken after an arrest matched a known
person."""

from __future__ import annotations

from datetime import date
from typing import ClassVar, Self

from pydantic import Field, model_validator

from precise_contracts.envelope import Event
from precise_contracts.events.ingest.force import PoliceForce
from precise_contracts.events.ingest.identifiers import ArrestSummonsNumber
from precise_contracts.events.ingest.source import BlobRef, SourceRecordRef
from precise_contracts.values import CroNumber, PncId


class BiometricIdentified(Event):
    """IDENT1 returned the result of a biometric search for an arrest: identified as a known person, or not."""

    type: ClassVar[str] = "uk.police.precise.ingest.biometric-identified.v1"

    source: SourceRecordRef = Field(
        description="The IDENT1 transaction the result came from (its transaction control number as record id)."
    )
    asn: ArrestSummonsNumber = Field(description="Arrest summons number of the arrest the biometrics were taken for.")
    pnc_id: PncId | None = Field(default=None, description="PNC ID of the person, if the result gives one.")
    cro_number: CroNumber | None = Field(default=None, description="CRO number of the person, if given.")
    identified: bool = Field(description="True when the biometrics matched a person already known to IDENT1.")
    identified_on: date = Field(description="The date IDENT1 returned the result.")
    force: PoliceForce = Field(description="The force that submitted the biometrics.")
    images: tuple[BlobRef, ...] = Field(
        default=(), description="The transaction's image records (e.g. ANSI/NIST Type-4, Type-14), kept as blobs."
    )

    @model_validator(mode="after")
    def _identified_means_someone(self) -> Self:
        if self.identified and self.pnc_id is None and self.cro_number is None:
            raise ValueError("an identified result names the person: it needs a pnc_id or a cro_number")
        return self

    def subject(self) -> str:
        return self.source.key()
