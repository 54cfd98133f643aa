"""The source-record ledger on both databases the service runs on: what a chunk records is what the next
chunk of the same source reads back, however many records a chunk holds."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from precise_ingest.service import service
from precise_ingest.store import LedgerEntry, ledger_hashes, record_in_ledger
from sqlalchemy import text

from precise_chassis.database import Database
from precise_chassis.migrate import migrate


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.integration)])
async def db(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    if request.param == "sqlite":
        database = Database.sqlite(tmp_path / "ingest.sqlite")
    else:
        database = Database.postgres(request.getfixturevalue("postgres_url"), f"t_{uuid.uuid4().hex[:12]}")
    assert service.migrations is not None
    await migrate(database, [service.migrations])
    try:
        yield database
    finally:
        if database.schema is not None:
            async with database.engine.begin() as conn:
                await conn.execute(text(f'DROP SCHEMA "{database.schema}" CASCADE'))
        await database.dispose()


async def test_a_chunk_of_thousands_of_reads_is_recorded_and_read_back_per_source(db: Database) -> None:
    reads = [LedgerEntry(f"read-{n:05d}", f"{n:064x}", is_new=True) for n in range(6_000)]
    now = datetime.now(UTC)
    async with db.session() as session, session.begin():
        await record_in_ledger(session, "anpr", reads, batch_id="b" * 32, now=now)

    asked = [entry.record_id for entry in reads[:5_000]] + ["read-never-seen"]
    async with db.session() as session:
        known = await ledger_hashes(session, "anpr", asked)
        other_source = await ledger_hashes(session, "legacy/custody", asked)

    assert known == {entry.record_id: entry.content_hash for entry in reads[:5_000]}
    assert other_source == {}


async def test_a_changed_record_keeps_its_latest_content_hash(db: Database) -> None:
    now = datetime.now(UTC)
    async with db.session() as session, session.begin():
        await record_in_ledger(
            session, "pnc", [LedgerEntry("98/1234567L", "a" * 64, is_new=True)], batch_id="1", now=now
        )
    async with db.session() as session, session.begin():
        changed = [LedgerEntry("98/1234567L", "b" * 64, is_new=False), LedgerEntry("99/7654321X", "c" * 64, True)]
        await record_in_ledger(session, "pnc", changed, batch_id="2", now=now)

    async with db.session() as session:
        known = await ledger_hashes(session, "pnc", ["98/1234567L", "99/7654321X"])
    assert known == {"98/1234567L": "b" * 64, "99/7654321X": "c" * 64}
