"""A migrated service database for tests, on each backend the chassis supports: a SQLite file (embedded) and a
throwaway PostgreSQL schema (local), dropped afterwards. Use as the params and body of a pytest fixture:

    @pytest.fixture(params=BACKENDS)
    async def db(request, tmp_path):
        async with migrated(request, tmp_path, [service.migrations]) as database:
            yield database
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from sqlalchemy import text

from precise_chassis.database import Database
from precise_chassis.migrate import migrate

BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.integration)]


@asynccontextmanager
async def migrated(
    request: pytest.FixtureRequest, tmp_path: Path, versions: Sequence[Path] = (), *, to: str = "heads"
) -> AsyncIterator[Database]:
    """A database on the backend `request.param` names, migrated to `to`; PostgreSQL comes from the
    `postgres_url` fixture, so a test that needs it fails naming what is missing."""
    if request.param == "sqlite":
        database = Database.sqlite(tmp_path / "service.sqlite")
    else:
        database = Database.postgres(request.getfixturevalue("postgres_url"), f"t_{uuid.uuid4().hex[:12]}")
    await migrate(database, versions, to=to)
    try:
        yield database
    finally:
        if database.schema is not None:
            async with database.engine.begin() as conn:
                await conn.execute(text(f'DROP SCHEMA "{database.schema}" CASCADE'))
        await database.dispose()
