"""A person record as one source system sees it. Sources disagree (names, dates of birth, addresses), so
every field keeps what this source says; resolving records into one person is person-profile's job."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated, ClassVar, Self

from pydantic import BeforeValidator, Field, model_validator

from precise_contracts.codes.warning_markers import WarningCode, parse_warning_code
from precise_contracts.envelope import Event
from precise_contracts.events.ingest._part import Identifier, Label, Narrative, Part, check_review_date
from precise_contracts.events.ingest.force import PoliceForce
from precise_contracts.events.ingest.identifiers import DrivingLicenceNumber, Passport, PhoneNumber
from precise_contracts.events.ingest.places import Address
from precise_contracts.events.ingest.source import SourceRecordRef
from precise_contracts.values import CroNumber, NiNumber, PncId


class NameKind(StrEnum):
    """What a name is to the person: the name they are recorded under (primary), another name they use or
    have given (alias), their surname at birth (maiden), or a name they no longer use (previous)."""

    PRIMARY = "primary"
    ALIAS = "alias"
    MAIDEN = "maiden"
    PREVIOUS = "previous"


class PersonName(Part):
    """One name of a person, spelt as the source spelt it."""

    forenames: tuple[Label, ...] = Field(
        default=(), max_length=5, description="Given names in order; empty when the source has only a surname."
    )
    surname: Label = Field(description="Family name, as written (hyphens and particles kept).")
    kind: NameKind = Field(description="Whether this is the primary name, an alias, a maiden or a previous name.")


class Sex(StrEnum):
    """Sex as PNC records it (M, F or U)."""

    MALE = "male"
    FEMALE = "female"
    UNKNOWN = "unknown"


class AddressKind(StrEnum):
    """What an address is to the person: where they live now (home), where they used to (previous), where
    they work (work), where they stay for a while such as a hostel or bail address (temporary), or another
    connection the source records (other)."""

    HOME = "home"
    PREVIOUS = "previous"
    WORK = "work"
    TEMPORARY = "temporary"
    OTHER = "other"


class PersonAddress(Address):
    """An address linked to a person, with the dates the source knew of the link."""

    kind: AddressKind = Field(description="What the address is to the person.")
    valid_from: date | None = Field(default=None, description="First date the source knew the person there.")
    valid_to: date | None = Field(default=None, description="Last date the source knew the person there.")

    @model_validator(mode="after")
    def _dates_in_order(self) -> Self:
        if self.valid_from and self.valid_to and self.valid_to < self.valid_from:
            raise ValueError(f"address valid_to {self.valid_to} is before its valid_from {self.valid_from}")
        return self


class PersonIdentifiers(Part):
    """The national identifiers the source holds for the person; each absent when it holds none."""

    pnc_id: PncId | None = Field(default=None, description="Police National Computer ID.")
    cro_number: CroNumber | None = Field(default=None, description="Criminal Records Office number.")
    ni_number: NiNumber | None = Field(default=None, description="National Insurance number.")
    driving_licence: DrivingLicenceNumber | None = Field(default=None, description="Driving licence number.")
    passport: Passport | None = Field(default=None, description="Passport number and issuing state.")


def _warning_code(value: object) -> object:
    """Read a code in any case or spacing; anything but text is left for the enum to refuse."""
    return parse_warning_code(value) if isinstance(value, str) else value


class WarningMarker(Part):
    """A warning signal on the person's record, telling officers how to approach them safely."""

    code: Annotated[WarningCode, BeforeValidator(_warning_code)] = Field(
        description="The two-letter PNC warning signal."
    )
    recorded_on: date = Field(description="When the marker was recorded.")
    review_by: date | None = Field(default=None, description="MoPI review date of the marker, if the source has one.")
    source_reference: Identifier | None = Field(
        default=None, description="The report, crime or custody record the marker came from, as the source cites it."
    )
    details: Narrative | None = Field(default=None, description="What happened, in the source's words.")

    @model_validator(mode="after")
    def _review_follows_recording(self) -> Self:
        check_review_date(f"warning marker {self.code}", self.recorded_on, self.review_by)
        return self


class WantedStatus(Part):
    """The person is wanted (for arrest, on warrant, or as a suspect)."""

    since: date = Field(description="When the person was circulated as wanted.")
    offence: Label = Field(description="Summary of the offence or warrant they are wanted for.")
    circulated_by: PoliceForce = Field(description="The force that circulated them as wanted.")


class MissingRisk(StrEnum):
    """The risk grading of a missing person (College of Policing APP on missing persons): very low (no apparent
    risk), low, medium or high risk of harm to the person or the public."""

    VERY_LOW = "very-low"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


class MissingStatus(Part):
    """The person is reported missing."""

    since: date = Field(description="When the person was reported missing.")
    risk: MissingRisk = Field(description="The current risk grading of the missing person investigation.")


class PersonRecordObserved(Event):
    """A source system holds this person record (new, or changed since it was last read).

    Published once per distinct record content: re-reading the same content publishes nothing, and a changed
    record with the same id is published again with `is_update` set.
    """

    type: ClassVar[str] = "uk.police.precise.ingest.person-record-observed.v1"

    source: SourceRecordRef = Field(description="Where the record came from, with its dates and content hash.")
    names: tuple[PersonName, ...] = Field(
        min_length=1, description="Every name the source records; exactly one is the primary name."
    )
    dates_of_birth: tuple[date, ...] = Field(
        default=(), description="Dates of birth the source records (several when the person has given several)."
    )
    sex: Sex = Field(description="Sex as the source records it.")
    addresses: tuple[PersonAddress, ...] = Field(default=(), description="Addresses linked to the person.")
    phones: tuple[PhoneNumber, ...] = Field(default=(), description="Phone numbers linked to the person.")
    identifiers: PersonIdentifiers = Field(
        default_factory=PersonIdentifiers, description="National identifiers the source holds for the person."
    )
    warning_markers: tuple[WarningMarker, ...] = Field(default=(), description="Warning signals on the record.")
    wanted: WantedStatus | None = Field(default=None, description="Present while the person is wanted.")
    missing: MissingStatus | None = Field(default=None, description="Present while the person is missing.")
    is_update: bool = Field(
        description="True when the source record was published before with different content (same record id)."
    )

    @model_validator(mode="after")
    def _one_primary_name(self) -> Self:
        primaries = sum(1 for name in self.names if name.kind is NameKind.PRIMARY)
        if primaries != 1:
            raise ValueError(f"a person record has exactly one primary name, not {primaries}")
        return self

    @model_validator(mode="after")
    def _born_before_recorded(self) -> Self:
        for born in self.dates_of_birth:
            if born > self.source.recorded_on:
                raise ValueError(f"date of birth {born} is after the record was made ({self.source.recorded_on})")
        return self

    def subject(self) -> str:
        return self.source.key()
