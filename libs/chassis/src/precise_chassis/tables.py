"""The tables the chassis keeps in every service's schema: outbox, inbox and the append-only audit log.

Tables are declared without a schema; each service's engine maps them into its own schema
(`schema_translate_map`), so the same declarations serve SQLite (no schemas) and PostgreSQL.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    DateTime,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
)

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

chassis_metadata = MetaData(naming_convention=NAMING)

# SQLite only autoincrements INTEGER PRIMARY KEY; PostgreSQL gets a BIGINT identity.
Sequence64 = BigInteger().with_variant(Integer(), "sqlite")

outbox = Table(
    "outbox",
    chassis_metadata,
    Column("seq", Sequence64, primary_key=True, autoincrement=True),
    Column("event_id", String(128), nullable=False, unique=True),
    Column("topic", String(200), nullable=False),
    Column("event_type", String(200), nullable=False),
    # binary content mode (ADR 0007): the CloudEvents attributes as JSON, and `data` as the producer serialised it
    Column("attributes", Text, nullable=False),
    Column("data", LargeBinary, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("published_at", DateTime(timezone=True)),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", DateTime(timezone=True), nullable=False),
    Column("last_error", Text),
    # the relay's query: unpublished rows, oldest first
    Index("ix_outbox_pending", "published_at", "seq"),
)

inbox = Table(
    "inbox",
    chassis_metadata,
    Column("subscription", String(200), primary_key=True),
    Column("event_id", String(128), primary_key=True),
    Column("event_type", String(200), nullable=False),
    Column("handled_at", DateTime(timezone=True), nullable=False),
)

audit_log = Table(
    "audit_log",
    chassis_metadata,
    Column("seq", Sequence64, primary_key=True, autoincrement=True),
    Column("audit_id", String(64), nullable=False, unique=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("actor", String(200), nullable=False),
    Column("role", String(64), nullable=False),
    Column("purpose_reference", String(100), nullable=False),
    Column("purpose_reason", Text, nullable=False),
    Column("action", String(100), nullable=False),
    Column("resource", String(500), nullable=False),
    Column("subject_ref", String(200)),
    Column("outcome", String(20), nullable=False),
    Column("trace_id", String(32)),
    Column("detail", JSON),
)
