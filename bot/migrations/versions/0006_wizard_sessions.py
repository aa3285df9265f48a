"""wizard sessions: admin wizards' state in the database, for replicas and restarts (issue 12)

Revision ID: 0006_wizard_sessions
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_wizard_sessions"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "wizard_sessions",
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("chat_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("state", sa.Integer(), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("user_id", "chat_id", "name"),
    )
    op.create_index(
        "ix_wizard_sessions_expires_at", "wizard_sessions", ["expires_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_wizard_sessions_expires_at", table_name="wizard_sessions")
    op.drop_table("wizard_sessions")
