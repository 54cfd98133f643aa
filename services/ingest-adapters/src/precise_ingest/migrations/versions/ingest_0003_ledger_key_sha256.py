"""The ledger's keys recomputed as the first 16 bytes of SHA-256 rather than BLAKE2b (`precise_ingest.ledger_key`):
PostgreSQL has SHA-256 built in, so it keys a chunk's records itself and the service process hashes nothing per
record (ADR 0010). The rows keep their source and record id, from which each key is recomputed: on PostgreSQL in
one statement, on SQLite (no hash function) by Python a thousand rows at a time.

Revision ID: ingest_0003
Revises: ingest_0002
Create Date: 2026-12-01
"""

from collections.abc import Callable, Sequence
from hashlib import blake2b

import sqlalchemy as sa
from alembic import op

from precise_ingest.ledger_key import ledger_key

revision: str = "ingest_0003"
down_revision: str | None = "ingest_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_LEDGER = sa.table(
    "source_records",
    sa.column("record_key", sa.LargeBinary),
    sa.column("source", sa.String),
    sa.column("record_id", sa.String),
)


def _blake2b_key(source: str, record_id: str) -> bytes:
    """ingest_0002's key."""
    return blake2b(f"{source}\x00{record_id}".encode(), digest_size=16).digest()


def _rekey(key_of: Callable[[str, str], bytes]) -> None:
    """Each row's key recomputed by Python from its source and record id, a thousand rows at a time."""
    bind = op.get_bind()
    rows = bind.execute(sa.select(*_LEDGER.c)).all()
    rekey = (
        sa.update(_LEDGER)
        .where(_LEDGER.c.record_key == sa.bindparam("old_key"))
        .values(record_key=sa.bindparam("new_key"))
    )
    for start in range(0, len(rows), 1000):
        batch = rows[start : start + 1000]
        bind.execute(rekey, [{"old_key": key, "new_key": key_of(source, rid)} for key, source, rid in batch])


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "UPDATE source_records SET record_key = substring(sha256("
            "convert_to(source, 'UTF8') || '\\x00'::bytea || convert_to(record_id, 'UTF8')) from 1 for 16)"
        )
    else:
        _rekey(ledger_key)


def downgrade() -> None:
    _rekey(_blake2b_key)
