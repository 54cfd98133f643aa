"""chassis_0002: outbox rows written before binary content mode are still published, whole, after the upgrade."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import column, table, text

from precise_chassis.database import Database
from precise_chassis.migrate import migrate
from precise_chassis.outbox import OutboxRelay
from precise_chassis.testing.casework import CaseNoteAdded
from precise_chassis.testing.databases import BACKENDS, migrated
from precise_chassis.testing.fakes import RecordingBus


@pytest.fixture(params=BACKENDS)
async def before(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    """A service database as chassis_0001 left it."""
    async with migrated(request, tmp_path, to="chassis_0001") as database:
        yield database


async def test_a_pending_structured_envelope_is_published_unchanged_after_the_upgrade(
    before: Database, recording_bus: RecordingBus
) -> None:
    now = datetime.now(UTC)
    envelope = {
        "specversion": "1.0",
        "id": "evt-written-before-0002",
        "source": "/precise/casework",
        "type": CaseNoteAdded.type,
        "subject": "CASE/2026/0007",
        "time": "2026-11-30T10:00:00Z",
        "datacontenttype": "application/json",
        "dataschema": CaseNoteAdded.dataschema(),
        "data": {"case_ref": "CASE/2026/0007", "note": "neighbour saw a blue van, café open late"},
    }
    # the table as chassis_0001 made it (the chassis' own declaration has moved on)
    columns = ("event_id", "topic", "event_type", "envelope", "created_at", "attempts", "next_attempt_at")
    outbox_0001 = table("outbox", *(column(name) for name in columns), schema=before.schema)
    async with before.engine.begin() as conn:
        await conn.execute(
            outbox_0001.insert().values(
                event_id=envelope["id"],
                topic="casework",
                event_type=envelope["type"],
                envelope=json.dumps(envelope),
                created_at=now,
                attempts=0,
                next_attempt_at=now,
            )
        )

    await migrate(before)

    assert await OutboxRelay(before, recording_bus, service="casework").flush() == 1
    ((topic, published),) = recording_bus.published
    assert topic == "casework"
    assert published.id == "evt-written-before-0002"
    assert published.subject == "CASE/2026/0007"
    assert published.decode(CaseNoteAdded) == CaseNoteAdded(
        case_ref="CASE/2026/0007", note="neighbour saw a blue van, café open late"
    )


@pytest.mark.integration
async def test_on_postgresql_event_data_is_compressed_with_lz4(postgres_url: str) -> None:
    database = Database.postgres(postgres_url, f"t_{uuid.uuid4().hex[:12]}")
    await migrate(database)
    try:
        async with database.engine.connect() as conn:
            method = await conn.execute(
                text(
                    "SELECT attcompression FROM pg_attribute "
                    "WHERE attrelid = CAST(:table AS regclass) AND attname = 'data'"
                ),
                {"table": f'"{database.schema}".outbox'},
            )
            assert method.scalar_one() == b"l"  # lz4: pglz cost PostgreSQL 8x the CPU for ANPR batches
    finally:
        async with database.engine.begin() as conn:
            await conn.execute(text(f'DROP SCHEMA "{database.schema}" CASCADE'))
        await database.dispose()
