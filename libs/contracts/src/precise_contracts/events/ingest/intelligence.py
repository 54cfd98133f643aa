"""Intelligence records, graded with the 3x5x2 model of the College of Policing's APP on intelligence
management: how reliable the source is (3), how the source knows what it reports (5), and whether and how it
may be shared (2)."""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar, Self

from pydantic import Field, ValidationInfo, field_validator, model_validator

from precise_contracts.envelope import Event
from precise_contracts.events.ingest._part import Label, Narrative, Part
from precise_contracts.events.ingest.identifiers import parse_phone_number
from precise_contracts.events.ingest.source import SourceRecordRef
from precise_contracts.values import parse_vrm


class SourceEvaluation(StrEnum):
    """3x5x2 source evaluation, how reliable the source is:

    - 1: reliable; there is no reason to doubt the source's authenticity, trustworthiness or competence
    - 2: untested; the source has not been tested, or there is some doubt about it
    - 3: not reliable; there are doubts about the source, or it has given unreliable information before
    """

    RELIABLE = "1"
    UNTESTED = "2"
    NOT_RELIABLE = "3"


class IntelligenceAssessment(StrEnum):
    """3x5x2 intelligence assessment, how the source knows what it reports:

    - A: known directly to the source
    - B: known indirectly to the source, but corroborated
    - C: known indirectly to the source
    - D: not known; how the source knows it is unclear
    - E: suspected to be false
    """

    KNOWN_DIRECTLY = "A"
    KNOWN_INDIRECTLY_CORROBORATED = "B"
    KNOWN_INDIRECTLY = "C"
    NOT_KNOWN = "D"
    SUSPECTED_FALSE = "E"


class HandlingCode(StrEnum):
    """3x5x2 handling code, whether the intelligence may be shared:

    - P: lawful sharing permitted
    - C: lawful sharing permitted subject to conditions, recorded with the grading
    """

    PERMITTED = "P"
    CONDITIONS = "C"


class IntelligenceGrading(Part):
    """The 3x5x2 grading of an intelligence report."""

    source_evaluation: SourceEvaluation = Field(description="How reliable the source is (1, 2 or 3).")
    intelligence_assessment: IntelligenceAssessment = Field(description="How the source knows it (A to E).")
    handling_code: HandlingCode = Field(description="Whether it may be shared (P) or only on conditions (C).")
    handling_conditions: Narrative | None = Field(
        default=None, description="The conditions on sharing; present exactly when the handling code is C."
    )

    @model_validator(mode="after")
    def _conditions_go_with_c(self) -> Self:
        if self.handling_code is HandlingCode.CONDITIONS and self.handling_conditions is None:
            raise ValueError("handling code C needs handling_conditions saying what the conditions are")
        if self.handling_code is HandlingCode.PERMITTED and self.handling_conditions is not None:
            raise ValueError("handling code P permits sharing without conditions; use C to set conditions")
        return self


class SubjectKind(StrEnum):
    """What an intelligence report is about: a person, a vehicle, an address or a phone."""

    PERSON = "person"
    VEHICLE = "vehicle"
    ADDRESS = "address"
    PHONE = "phone"


class SubjectRef(Part):
    """A subject the report names. Vehicles are normalised to a VRM and phones to E.164, so they can be
    matched; people and addresses are kept as written (a name, a PNC ID, an address line)."""

    kind: SubjectKind = Field(description="What the subject is.")
    value: Label = Field(description="The subject as named: a VRM, a phone number, a name or an address.")

    @field_validator("value")
    @classmethod
    def _matchable(cls, value: str, info: ValidationInfo) -> str:
        kind = info.data.get("kind")
        if kind is SubjectKind.VEHICLE:
            return parse_vrm(value)
        if kind is SubjectKind.PHONE:
            return parse_phone_number(value)
        return value


class IntelligenceRecorded(Event):
    """An intelligence report was recorded in a source system.

    Its recorded and review dates are those of its source record (`source.recorded_on`, `source.review_by`).
    """

    type: ClassVar[str] = "uk.police.precise.ingest.intelligence-recorded.v1"

    source: SourceRecordRef = Field(description="Where the report came from, with its recorded and review dates.")
    text: Narrative = Field(description="The intelligence, as written (sanitised by the source).")
    subjects: tuple[SubjectRef, ...] = Field(default=(), description="The people, vehicles, places and phones named.")
    grading: IntelligenceGrading = Field(description="The 3x5x2 grading.")

    def subject(self) -> str:
        return self.source.key()
