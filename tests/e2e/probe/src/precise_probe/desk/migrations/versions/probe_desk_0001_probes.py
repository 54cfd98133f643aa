"""probe-desk's probes table.

Revision ID: probe_desk_0001
Revises:
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "probe_desk_0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = ("probe-desk",)
depends_on: str | Sequence[str] | None = "chassis_0001"


def upgrade() -> None:
    op.create_table(
        "probes",
        sa.Column("probe_id", sa.String(64), primary_key=True),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("blob_key", sa.String(200), nullable=False),
        sa.Column("blob_sha256", sa.String(64), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("echoed_text", sa.Text),
        sa.Column("blob_sha256_seen", sa.String(64)),
        sa.Column("echoed_at", sa.DateTime(timezone=True)),
    )


def downgrade() -> None:
    op.drop_table("probes")
