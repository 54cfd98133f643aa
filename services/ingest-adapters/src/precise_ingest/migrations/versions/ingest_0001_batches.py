"""ingest-adapters: batches, their rejects, and the source-record ledger.

Revision ID: ingest_0001
Revises:
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "ingest_0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = ("ingest-adapters",)
depends_on: str | Sequence[str] | None = "chassis_0001"


def upgrade() -> None:
    op.create_table(
        "batches",
        sa.Column("batch_id", sa.String(32), primary_key=True),
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("mapping", sa.String(100)),
        sa.Column("filename", sa.String(255)),
        sa.Column("blob_key", sa.String(300), nullable=False),
        sa.Column("blob_sha256", sa.String(64), nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("submitted_by", sa.String(200), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("failure_reason", sa.Text),
        sa.Column("records_read", sa.Integer, nullable=False),
        sa.Column("records_accepted", sa.Integer, nullable=False),
        sa.Column("records_rejected", sa.Integer, nullable=False),
        sa.Column("records_duplicate", sa.Integer, nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True)),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
        sa.Column("processor", sa.String(64)),
        sa.Column("lease_until", sa.DateTime(timezone=True)),
    )
    op.create_index("ix_batches_status", "batches", ["status"])
    op.create_table(
        "rejects",
        sa.Column("reject_id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=True),
        sa.Column("batch_id", sa.String(32), sa.ForeignKey("batches.batch_id"), nullable=False),
        sa.Column("line", sa.Integer, nullable=False),
        sa.Column("field", sa.String(100)),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("original", sa.LargeBinary, nullable=False),
    )
    op.create_index("ix_rejects_batch_id", "rejects", ["batch_id"])
    op.create_table(
        "source_records",
        sa.Column("source", sa.String(150), primary_key=True),
        sa.Column("record_id", sa.String(128), primary_key=True),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("last_batch_id", sa.String(32), nullable=False),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("source_records")
    op.drop_index("ix_rejects_batch_id", "rejects")
    op.drop_table("rejects")
    op.drop_index("ix_batches_status", "batches")
    op.drop_table("batches")
