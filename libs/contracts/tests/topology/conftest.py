"""A small hand-made registry: two topics; `share-to-cps` takes only one of the two evidence event types."""

from __future__ import annotations

from typing import ClassVar

import pytest
from pydantic import BaseModel, ConfigDict, Field

from precise_contracts.envelope import Event
from precise_contracts.registry import Route, Topic, TopicRegistry

SEIZED = "uk.police.precise.evidence.exhibit-seized.v1"
RELEASED = "uk.police.precise.evidence.exhibit-released.v1"
MARKER = "uk.police.precise.ingest.warning-marker-raised.v1"


class SeizurePlace(BaseModel):
    """Where an exhibit was seized."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    postcode: str = Field(description="Synthetic postcode of the seizure.")


class ExhibitSeized(Event):
    """An officer seized an exhibit and booked it into the evidence store.

    The exhibit is content-addressed from this moment on.
    """

    type: ClassVar[str] = SEIZED

    exhibit_id: str = Field(description="The exhibit reference.")
    place: SeizurePlace = Field(description="Where it was seized.")


class ExhibitReleased(Event):
    """An exhibit was released back to its owner."""

    type: ClassVar[str] = RELEASED

    exhibit_id: str = Field(description="The exhibit reference.")


class WarningMarkerRaised(Event):
    """A source system recorded a warning marker against a person."""

    type: ClassVar[str] = MARKER

    person_id: str = Field(description="The person the marker is about.")


@pytest.fixture
def registry() -> TopicRegistry:
    return TopicRegistry(
        topics=(
            Topic(name="evidence", description="Exhibits and their custody.", producers=("evidence-vault",)),
            Topic(name="ingest", description="Records read from source systems.", producers=("ingest-adapters",)),
        ),
        routes=(
            Route(event=ExhibitSeized, topic="evidence", consumers=("share-to-cps", "redaction")),
            Route(event=ExhibitReleased, topic="evidence", consumers=("redaction",)),
            Route(event=WarningMarkerRaised, topic="ingest", consumers=("risk-summary",)),
        ),
        max_delivery={"risk-summary": 5},
    )
