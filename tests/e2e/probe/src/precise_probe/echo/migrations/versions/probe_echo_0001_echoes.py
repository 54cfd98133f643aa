"""probe-echo's echoes table.

Revision ID: probe_echo_0001
Revises:
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "probe_echo_0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = ("probe-echo",)
depends_on: str | Sequence[str] | None = "chassis_0001"


def upgrade() -> None:
    op.create_table(
        "echoes",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("probe_id", sa.String(64), nullable=False),
        sa.Column("echoed_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("echoes")
