"""The unit of work: one transaction holding a service's state change, its inbox row and its outbox rows."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from types import TracebackType
from typing import Self

from sqlalchemy.ext.asyncio import AsyncSession

from precise_chassis.database import Database
from precise_chassis.tables import outbox
from precise_chassis.tracecontext import current_traceparent
from precise_contracts.envelope import Envelope, Event, SerialisedEvent
from precise_contracts.registry import TopicRegistry


class NotAProducer(Exception):
    """A service tried to publish an event type the topic registry does not let it publish."""


class UnitOfWork:
    """`async with uow:` commits on success, rolls back on error; `uow.publish(event)` writes to the outbox.

    Events only reach the bus through the outbox, so a state change and the events it causes are
    committed together or not at all.
    """

    def __init__(
        self,
        db: Database,
        *,
        service: str,
        registry: TopicRegistry,
        on_commit: Callable[[], None] = lambda: None,
    ) -> None:
        self._db = db
        self.service = service
        self._registry = registry
        self._on_commit = on_commit
        self._session: AsyncSession | None = None
        self._staged: list[Envelope] = []

    @property
    def session(self) -> AsyncSession:
        if self._session is None:
            raise RuntimeError("use the unit of work inside `async with`")
        return self._session

    async def __aenter__(self) -> Self:
        self._session = self._db.session()
        await self._session.begin()
        self._staged = []
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        session = self.session
        try:
            if exc_type is None:
                if self._staged:
                    await self._write_outbox()
                await session.commit()
                if self._staged:
                    self._on_commit()
            else:
                await session.rollback()
        finally:
            await session.close()
            self._session = None

    def publish(self, event: Event | SerialisedEvent, *, event_id: str | None = None) -> Envelope:
        """Stage an event (or its JSON, made elsewhere) for the outbox; it is written with the transaction and
        published after it commits."""
        if not self._registry.may_publish(self.service, event.type):
            raise NotAProducer(f"{self.service} is not a producer of {event.type} in the topic registry")
        envelope = Envelope.wrap(event, service=self.service, traceparent=current_traceparent(), event_id=event_id)
        self._staged.append(envelope)
        return envelope

    async def _write_outbox(self) -> None:
        now = datetime.now(UTC)
        await self.session.execute(
            outbox.insert(),
            [
                {
                    "event_id": envelope.id,
                    "topic": self._registry.route(envelope.type).topic,
                    "event_type": envelope.type,
                    "attributes": envelope.model_dump_json(exclude={"data"}, exclude_none=True),
                    "data": envelope.data,
                    "created_at": now,
                    "attempts": 0,
                    "next_attempt_at": now,
                }
                for envelope in self._staged
            ],
        )
