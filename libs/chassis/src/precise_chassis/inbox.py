"""The inbox: `(subscription, event id)` written in the handler's own transaction, so a redelivered event
has no second effect."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from precise_chassis.tables import inbox
from precise_contracts.envelope import Envelope


async def claim(session: AsyncSession, subscription: str, envelopes: Sequence[Envelope]) -> list[bool]:
    """Record the events as handled by this subscription; for each, False if it already was (a duplicate).

    Run it first inside the handlers' transaction: a concurrent duplicate waits on the row and then finds
    it, and a handler that fails rolls the claim back with everything else. One statement for the lot.
    """
    first: dict[str, Envelope] = {}
    for envelope in envelopes:
        first.setdefault(envelope.id, envelope)
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert(inbox) if dialect == "postgresql" else sqlite.insert(inbox)
    now = datetime.now(UTC)
    # one constant statement, executed for many rows: compiled once, sent as multi-row inserts
    statement = insert.on_conflict_do_nothing(index_elements=["subscription", "event_id"]).returning(inbox.c.event_id)
    rows = [
        {"subscription": subscription, "event_id": e.id, "event_type": e.type, "handled_at": now}
        for e in first.values()
    ]
    inserted = set((await session.execute(statement, rows)).scalars())
    claimed = []
    for envelope in envelopes:
        claimed.append(envelope.id in inserted)
        inserted.discard(envelope.id)  # a second copy in the same batch is a duplicate of the first
    return claimed
