"""Databases for chassis tests: a SQLite file (embedded) and a throwaway PostgreSQL schema (local)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text

from precise_chassis.database import Database
from precise_chassis.migrate import migrate
from precise_chassis.testing.fakes import RecordingBus


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.integration)])
async def db(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    """A migrated service database on each backend the chassis supports."""
    if request.param == "sqlite":
        database = Database.sqlite(tmp_path / "service.sqlite")
    else:
        database = Database.postgres(request.getfixturevalue("postgres_url"), f"t_{uuid.uuid4().hex[:12]}")
    await migrate(database)
    try:
        yield database
    finally:
        if database.schema is not None:
            async with database.engine.begin() as conn:
                await conn.execute(text(f'DROP SCHEMA "{database.schema}" CASCADE'))
        await database.dispose()


@pytest.fixture
def recording_bus() -> RecordingBus:
    return RecordingBus()
