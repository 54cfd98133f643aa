"""ingest_0002 and ingest_0003: records entered in the ledger before it was keyed by digest, or by ingest_0002's
BLAKE2b digest, are still known afterwards, so a file ingested before the upgrade is a duplicate after it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from hashlib import blake2b
from pathlib import Path

import pytest
from precise_ingest.service import service
from precise_ingest.store import enter_in_ledger
from sqlalchemy import column, table

from precise_chassis.database import Database
from precise_chassis.migrate import migrate
from precise_chassis.testing.databases import BACKENDS, migrated


@pytest.fixture(params=BACKENDS)
async def before(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    """An ingest-adapters database as ingest_0001 left it."""
    async with migrated(request, tmp_path, [service.migrations], to="ingest_0001") as database:
        yield database


async def test_a_record_entered_before_the_upgrade_is_held_after_it(before: Database) -> None:
    now = datetime.now(UTC)
    columns = ("source", "record_id", "content_hash", "last_batch_id", "first_seen_at", "changed_at")
    ledger_0001 = table("source_records", *(column(name) for name in columns), schema=before.schema)
    async with before.engine.begin() as conn:
        await conn.execute(
            ledger_0001.insert().values(
                source="pnc",
                record_id="98/1234567L",
                content_hash="a" * 64,
                last_batch_id="1",
                first_seen_at=now,
                changed_at=now,
            )
        )

    assert service.migrations is not None
    await migrate(before, [service.migrations])

    async with before.session() as session, session.begin():
        held = await enter_in_ledger(
            session, "pnc", [("98/1234567L", "a" * 64), ("99/7654321X", "b" * 64)], batch_id="2", now=now
        )
    assert held == {"98/1234567L": "a" * 64}


@pytest.fixture(params=BACKENDS)
async def keyed_by_blake2b(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    """An ingest-adapters database as ingest_0002 left it."""
    async with migrated(request, tmp_path, [service.migrations], to="ingest_0002") as database:
        yield database


async def test_a_record_keyed_by_blake2b_is_held_after_the_keys_move_to_sha256(keyed_by_blake2b: Database) -> None:
    now = datetime.now(UTC)
    columns = ("record_key", "source", "record_id", "content_hash", "last_batch_id", "first_seen_at", "changed_at")
    ledger_0002 = table("source_records", *(column(name) for name in columns), schema=keyed_by_blake2b.schema)
    entered = {"98/1234567L": "a" * 64, "LEG/Łódź-07": "b" * 64}
    async with keyed_by_blake2b.engine.begin() as conn:
        await conn.execute(
            ledger_0002.insert(),
            [
                {
                    "record_key": blake2b(f"legacy/custody\x00{record_id}".encode(), digest_size=16).digest(),
                    "source": "legacy/custody",
                    "record_id": record_id,
                    "content_hash": digest,
                    "last_batch_id": "1",
                    "first_seen_at": now,
                    "changed_at": now,
                }
                for record_id, digest in entered.items()
            ],
        )

    assert service.migrations is not None
    await migrate(keyed_by_blake2b, [service.migrations])

    async with keyed_by_blake2b.session() as session, session.begin():
        records = [*entered.items(), ("99/7654321X", "c" * 64)]
        held = await enter_in_ledger(session, "legacy/custody", records, batch_id="2", now=now)
    assert held == entered
