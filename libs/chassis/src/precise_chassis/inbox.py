"""The inbox: `(subscription, event id)` written in the handler's own transaction, so a redelivered event
has no second effect."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from precise_chassis.tables import inbox
from precise_contracts.envelope import Envelope


async def claim(session: AsyncSession, subscription: str, envelope: Envelope) -> bool:
    """Record the event as handled by this subscription; False if it already was (a duplicate delivery).

    Run it first inside the handler's transaction: a concurrent duplicate waits on the row and then finds
    it, and a handler that fails rolls the claim back with everything else.
    """
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert(inbox) if dialect == "postgresql" else sqlite.insert(inbox)
    result = await session.execute(
        insert.values(
            subscription=subscription,
            event_id=envelope.id,
            event_type=envelope.type,
            handled_at=datetime.now(UTC),
        ).on_conflict_do_nothing(index_elements=["subscription", "event_id"])
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]
