"""An index on when each batch was received, so batches are listed newest first a page at a time
(`GET /ingest/v1/batches`) without sorting the whole table: streamed ANPR alone makes thousands a day.

Revision ID: ingest_0005
Revises: ingest_0004
Create Date: 2026-12-01
"""

from collections.abc import Sequence

from alembic import op

revision: str = "ingest_0005"
down_revision: str | None = "ingest_0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_batches_received_at", "batches", ["received_at", "batch_id"])


def downgrade() -> None:
    op.drop_index("ix_batches_received_at", table_name="batches")
