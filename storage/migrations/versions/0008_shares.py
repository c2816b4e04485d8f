"""case shares

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-24 10:26:00.939958
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "case_share",
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["bargaining_case.id"],
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["app_user.id"],
        ),
        sa.PrimaryKeyConstraint("case_id", "user_id"),
    )
    with op.batch_alter_table("case_share", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_share_user_id"), ["user_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("case_share", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_share_user_id"))

    op.drop_table("case_share")
