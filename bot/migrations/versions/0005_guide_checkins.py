"""guide check-ins: the opt-in question about feedback after a report (issue 13)

Revision ID: 0005_guide_checkins
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_guide_checkins"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "guide_checkins",
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("area_id", sa.String(length=40), nullable=False),
        sa.Column("operator", sa.String(length=20), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("asked_on", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("user_id"),
    )


def downgrade() -> None:
    op.drop_table("guide_checkins")
