"""Each batch counts the attempts in a row that stopped on an unexpected error before committing anything
(`stalls`), so a file that stops its batch the same way every time ends failed with the error as its reason
rather than retried for ever (ADR 0014).

Revision ID: ingest_0004
Revises: ingest_0003
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "ingest_0004"
down_revision: str | None = "ingest_0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("batches", sa.Column("stalls", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("batches") as table:
        table.drop_column("stalls")
