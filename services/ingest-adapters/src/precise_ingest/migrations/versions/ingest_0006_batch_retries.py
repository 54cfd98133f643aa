"""Each batch counts the times it was put back after it failed (`POST /ingest/v1/batches/{id}/retry`), so whoever
follows it sees that it was read again.

Revision ID: ingest_0006
Revises: ingest_0005
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "ingest_0006"
down_revision: str | None = "ingest_0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("batches", sa.Column("retries", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("batches") as table:
        table.drop_column("retries")
