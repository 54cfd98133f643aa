"""probe-echo's table: one row per handled delivery, so a second effect of one event would show."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table, func, select
from sqlalchemy.ext.asyncio import AsyncSession

metadata = MetaData()

# No unique key on probe_id on purpose: a duplicate handling must add a row, not fail and hide.
echoes = Table(
    "echoes",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("probe_id", String(64), nullable=False),
    Column("echoed_at", DateTime(timezone=True), nullable=False),
)


async def add_echo(session: AsyncSession, probe_id: str, at: datetime) -> None:
    await session.execute(echoes.insert().values(probe_id=probe_id, echoed_at=at))


async def count_echoes(session: AsyncSession, probe_id: str | None = None) -> int:
    query = select(func.count()).select_from(echoes)
    if probe_id is not None:
        query = query.where(echoes.c.probe_id == probe_id)
    return int((await session.execute(query)).scalar_one())
