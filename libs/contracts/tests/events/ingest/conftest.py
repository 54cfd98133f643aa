"""Carry an event through the bus's wire format and back, as a consumer would receive it."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from precise_contracts.envelope import Envelope, Event
from precise_contracts.registry import REGISTRY

Carry = Callable[[Event], tuple[Envelope, Event]]


@pytest.fixture
def carry() -> Carry:
    def through_the_bus(event: Event) -> tuple[Envelope, Event]:
        """Wrap, serialise, parse and validate again: the received envelope and the event a consumer sees."""
        sent = Envelope.wrap(event, service="ingest-adapters")
        received = Envelope.from_bytes(sent.to_bytes())
        return received, received.decode(REGISTRY.event_class(received.type))

    return through_the_bus
