"""The source-record ledger keyed by a 16-byte digest of (source, record id) rather than the two texts: the
index entry a new record costs is half the size and compared by memcmp, which at ANPR volume is most of the
ledger's database time (ADR 0009). The source and the record id stay in each row, for people and audits.

The table is rebuilt (SQLite cannot change a primary key in place): rows are copied a thousand at a time.

Revision ID: ingest_0002
Revises: ingest_0001
Create Date: 2026-12-01
"""

from collections.abc import Sequence
from hashlib import blake2b

import sqlalchemy as sa
from alembic import op


revision: str = "ingest_0002"
down_revision: str | None = "ingest_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COPIED = ("source", "record_id", "content_hash", "last_batch_id", "first_seen_at", "changed_at")


def _columns() -> list[sa.Column[object]]:
    return [
        sa.Column("source", sa.String(150), nullable=False),
        sa.Column("record_id", sa.String(128), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("last_batch_id", sa.String(32), nullable=False),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
    ]


def _ledger_key(source: str, record_id: str) -> bytes:
    """The key as this revision defined it (ingest_0003 moved to SHA-256)."""
    return blake2b(f"{source}\x00{record_id}".encode(), digest_size=16).digest()


def upgrade() -> None:
    key = sa.Column("record_key", sa.LargeBinary(16), primary_key=True)
    new = op.create_table("source_records_keyed", key, *_columns())
    old = sa.table("source_records", *(sa.column(c.name, c.type) for c in _columns()))
    bind = op.get_bind()
    rows = bind.execute(sa.select(*old.c)).mappings().all()
    for start in range(0, len(rows), 1000):
        keyed = [{**row, "record_key": _ledger_key(row["source"], row["record_id"])} for row in rows[start : start + 1000]]
        bind.execute(new.insert(), keyed)
    op.drop_table("source_records")
    op.rename_table("source_records_keyed", "source_records")


def downgrade() -> None:
    op.create_table("source_records_texts", *_columns(), sa.PrimaryKeyConstraint("source", "record_id"))
    names = ", ".join(_COPIED)
    op.execute(f"INSERT INTO source_records_texts ({names}) SELECT {names} FROM source_records")
    op.drop_table("source_records")
    op.rename_table("source_records_texts", "source_records")
