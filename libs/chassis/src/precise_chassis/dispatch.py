"""Turn a bus delivery into a call of the service's event handler: decode, claim in the inbox, handle,
commit — all in one unit of work."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from pydantic import ValidationError

from precise_chassis.bus.port import Delivery, Unprocessable
from precise_chassis.inbox import claim
from precise_chassis.uow import UnitOfWork
from precise_contracts.envelope import Event

log = logging.getLogger(__name__)

EventHandler = Callable[[Any, UnitOfWork], Awaitable[None]]


class Dispatcher:
    """The MessageHandler the chassis gives the bus for one subscription of one service."""

    def __init__(
        self,
        *,
        subscription: str,
        handlers: Mapping[type[Event], EventHandler],
        unit_of_work: Callable[[], UnitOfWork],
    ) -> None:
        self.subscription = subscription
        self._handlers = {event.type: (event, handler) for event, handler in handlers.items()}
        self._unit_of_work = unit_of_work

    async def __call__(self, delivery: Delivery) -> None:
        await self.dispatch(delivery)

    async def dispatch(self, delivery: Delivery) -> bool:
        """Handle the delivery; False when it was a duplicate that the inbox absorbed."""
        envelope = delivery.envelope
        if envelope.type not in self._handlers:
            raise Unprocessable(f"{self.subscription} has no handler for {envelope.type}")
        event_class, handler = self._handlers[envelope.type]
        try:
            event = event_class.model_validate(envelope.data)
        except ValidationError as exc:
            raise Unprocessable(f"{envelope.type} {envelope.id} does not match its schema: {exc}") from exc
        async with self._unit_of_work() as uow:
            if not await claim(uow.session, self.subscription, envelope):
                log.info("duplicate delivery of %s %s to %s ignored", envelope.type, envelope.id, self.subscription)
                return False
            await handler(event, uow)
        return True
