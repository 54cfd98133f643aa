"""probe-desk's table: one row per probe, filled in when the echo comes back."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import Column, DateTime, MetaData, String, Table, Text, select, update
from sqlalchemy.ext.asyncio import AsyncSession

metadata = MetaData()

probes = Table(
    "probes",
    metadata,
    Column("probe_id", String(64), primary_key=True),
    Column("text", Text, nullable=False),
    Column("blob_key", String(200), nullable=False),
    Column("blob_sha256", String(64), nullable=False),
    Column("requested_at", DateTime(timezone=True), nullable=False),
    Column("echoed_text", Text),
    Column("blob_sha256_seen", String(64)),
    Column("echoed_at", DateTime(timezone=True)),
)


@dataclass(frozen=True)
class Probe:
    probe_id: str
    text: str
    blob_key: str
    blob_sha256: str
    requested_at: datetime
    echoed_text: str | None
    blob_sha256_seen: str | None
    echoed_at: datetime | None

    @property
    def status(self) -> Literal["requested", "echoed"]:
        return "requested" if self.echoed_at is None else "echoed"


async def add_probe(session: AsyncSession, probe: Probe) -> None:
    await session.execute(
        probes.insert().values(
            probe_id=probe.probe_id,
            text=probe.text,
            blob_key=probe.blob_key,
            blob_sha256=probe.blob_sha256,
            requested_at=probe.requested_at,
        )
    )


async def record_echo(
    session: AsyncSession, probe_id: str, *, echoed_text: str, blob_sha256_seen: str, at: datetime
) -> bool:
    """Store the echo on its probe; False when no such probe exists here."""
    result = await session.execute(
        update(probes)
        .where(probes.c.probe_id == probe_id)
        .values(echoed_text=echoed_text, blob_sha256_seen=blob_sha256_seen, echoed_at=at)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def get_probe(session: AsyncSession, probe_id: str) -> Probe | None:
    row = (await session.execute(select(probes).where(probes.c.probe_id == probe_id))).mappings().first()
    return None if row is None else Probe(**row)
