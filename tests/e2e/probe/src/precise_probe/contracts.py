"""The probe services' events and topics, registered through the `precise.topics` entry point so they
exist only where the test-only services are installed (never in the shipped registry)."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from precise_contracts.envelope import Event
from precise_contracts.registry import Route, Topic, TopicRegistry

DESK = "probe-desk"
ECHO = "probe-echo"


class ProbeRequested(Event):
    """A tester asked probe-desk to send a probe round the platform."""

    type: ClassVar[str] = "uk.police.precise.probe-desk.probe-requested.v1"

    probe_id: str = Field(description="Id probe-desk gave the probe.")
    text: str = Field(description="The synthetic text to echo back.")
    blob_key: str = Field(description="Where probe-desk stored the text in its blob store.")
    blob_sha256: str = Field(description="SHA-256 (hex) of the stored blob.")

    def subject(self) -> str | None:
        return self.probe_id


class ProbeEchoed(Event):
    """probe-echo handled a probe and answers with its text upper-cased."""

    type: ClassVar[str] = "uk.police.precise.probe-echo.probe-echoed.v1"

    probe_id: str = Field(description="Id of the probe that was echoed.")
    echoed_text: str = Field(description="The probe's text, upper-cased by probe-echo.")
    blob_sha256_seen: str = Field(description="The blob hash probe-echo received in ProbeRequested.")

    def subject(self) -> str | None:
        return self.probe_id


REGISTRY = TopicRegistry(
    topics=(
        Topic(name=DESK, description="Probes requested by the test-only probe-desk.", producers=(DESK,)),
        Topic(name=ECHO, description="Echoes published by the test-only probe-echo.", producers=(ECHO,)),
    ),
    routes=(
        Route(event=ProbeRequested, topic=DESK, consumers=(ECHO,)),
        Route(event=ProbeEchoed, topic=ECHO, consumers=(DESK,)),
    ),
)
