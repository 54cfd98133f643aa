"""Databases for chassis tests: a SQLite file (embedded) and a throwaway PostgreSQL schema (local)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from precise_chassis.database import Database
from precise_chassis.testing.databases import BACKENDS, migrated
from precise_chassis.testing.fakes import RecordingBus


@pytest.fixture(params=BACKENDS)
async def db(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    """A migrated service database on each backend the chassis supports."""
    async with migrated(request, tmp_path) as database:
        yield database


@pytest.fixture
def recording_bus() -> RecordingBus:
    return RecordingBus()
