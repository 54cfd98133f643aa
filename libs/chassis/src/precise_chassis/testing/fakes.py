"""Fakes for unit tests of code that stands on a port (never used by a running platform)."""

from __future__ import annotations

from collections.abc import Sequence

from precise_chassis.bus.port import BusUnavailable
from precise_contracts.envelope import Envelope


class RecordingBus:
    """Records what the outbox relay publishes, and can be taken down and brought back."""

    name = "recording"

    def __init__(self) -> None:
        self.published: list[tuple[str, Envelope]] = []
        self.down = False

    async def publish(self, topic: str, envelopes: Sequence[Envelope]) -> None:
        if self.down:
            raise BusUnavailable("broker is down (test)")
        self.published.extend((topic, envelope) for envelope in envelopes)

    def ids(self) -> list[str]:
        return [envelope.id for _topic, envelope in self.published]
