"""Incidents and crimes at a place: what happened, when, and where."""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar, Self

from pydantic import AwareDatetime, Field, model_validator

from precise_contracts.envelope import Event
from precise_contracts.events.ingest._part import Identifier, Label
from precise_contracts.events.ingest.places import Address, Coordinates
from precise_contracts.events.ingest.source import SourceRecordRef


class IncidentCategory(StrEnum):
    """The broad kind of incident: a Home Office police recorded crime offence group, or one of the non-crime
    incident categories of the National Standard for Incident Recording (anti-social behaviour, public safety
    and welfare, transport). The source's own classification stays in `classification`."""

    VIOLENCE_AGAINST_THE_PERSON = "violence-against-the-person"
    SEXUAL_OFFENCES = "sexual-offences"
    ROBBERY = "robbery"
    THEFT_OFFENCES = "theft-offences"
    CRIMINAL_DAMAGE_AND_ARSON = "criminal-damage-and-arson"
    DRUG_OFFENCES = "drug-offences"
    POSSESSION_OF_WEAPONS = "possession-of-weapons"
    PUBLIC_ORDER_OFFENCES = "public-order-offences"
    MISCELLANEOUS_CRIMES_AGAINST_SOCIETY = "miscellaneous-crimes-against-society"
    FRAUD = "fraud"
    ANTI_SOCIAL_BEHAVIOUR = "anti-social-behaviour"
    PUBLIC_SAFETY_AND_WELFARE = "public-safety-and-welfare"
    TRANSPORT = "transport"


class IncidentRecorded(Event):
    """An incident or crime at a location was recorded in a source system."""

    type: ClassVar[str] = "uk.police.precise.ingest.incident-recorded.v1"

    source: SourceRecordRef = Field(description="Where the record came from, with its dates and content hash.")
    reference: Identifier = Field(description="The incident or crime reference, as the force writes it.")
    category: IncidentCategory = Field(description="The broad kind of incident.")
    classification: Label = Field(
        description="The source's own classification, e.g. the Home Office offence 'Burglary - residential'."
    )
    occurred_at: AwareDatetime = Field(description="When it happened (the start, if over a period).")
    reported_at: AwareDatetime = Field(description="When it was reported to the police.")
    address: Address | None = Field(default=None, description="The address where it happened, if there is one.")
    coordinates: Coordinates | None = Field(default=None, description="Where it happened, if the source located it.")

    @model_validator(mode="after")
    def _somewhere(self) -> Self:
        if self.address is None and self.coordinates is None:
            raise ValueError("an incident needs a place: an address, coordinates or both")
        return self

    def subject(self) -> str:
        return self.source.key()
