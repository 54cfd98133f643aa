"""Apply a service's Alembic migrations (the chassis branch and the service's own) to its database."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import text
from sqlalchemy.engine import Connection

from precise_chassis.database import Database

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(connection: Connection, schema: str | None, service_versions: Sequence[Path]) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("path_separator", "os")
    locations = [MIGRATIONS / "versions", *service_versions]
    config.set_main_option("version_locations", os.pathsep.join(str(p) for p in locations))
    config.attributes["connection"] = connection
    config.attributes["schema"] = schema
    return config


async def migrate(db: Database, service_versions: Sequence[Path] = (), *, to: str = "heads") -> None:
    """Bring the service's schema to the newest revision of every branch (or to the revision `to`); safe to run
    on every start."""
    async with db.engine.begin() as conn:
        if db.schema is not None:
            # replicas starting together take turns; the loser finds the schema already current
            await conn.execute(text("SELECT pg_advisory_xact_lock(hashtext(:schema))"), {"schema": db.schema})
            await conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{db.schema}"'))
        await conn.run_sync(lambda sync: command.upgrade(alembic_config(sync, db.schema, service_versions), to))
