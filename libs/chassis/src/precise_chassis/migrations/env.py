"""Alembic environment shared by every service; run through `precise_chassis.migrate`, never the CLI."""

from __future__ import annotations

from alembic import context
from sqlalchemy import text

config = context.config
connection = config.attributes["connection"]
schema: str | None = config.attributes.get("schema")

if schema is not None:
    # raw SQL in migrations (triggers, functions) resolves names in the service's schema
    connection.execute(text(f'SET LOCAL search_path TO "{schema}"'))

context.configure(connection=connection, version_table_schema=schema, transaction_per_migration=False)
with context.begin_transaction():
    context.run_migrations()
