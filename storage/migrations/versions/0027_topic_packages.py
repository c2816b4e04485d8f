"""several topics passed across the table as one package

Revision ID: 0027
Revises: 0026
Create Date: 2026-11-30 13:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.types

revision: str = "0027"
down_revision: str | None = "0026"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "topic_package",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("round_no", sa.Integer(), nullable=True),
        sa.Column("side", sqlmodel.sql.sqltypes.AutoString(length=6), nullable=False),
        sa.Column("topic_ids", sa.JSON(), nullable=False),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("by_id", sa.Integer(), nullable=False),
        sa.Column("at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["bargaining_case.id"]),
        sa.ForeignKeyConstraint(["by_id"], ["app_user.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_topic_package_case_id", "topic_package", ["case_id"])


def downgrade() -> None:
    op.drop_index("ix_topic_package_case_id", table_name="topic_package")
    op.drop_table("topic_package")
