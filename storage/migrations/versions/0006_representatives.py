"""case representatives

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24 10:18:56.970333
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.types

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "case_representative",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("side", sa.String(length=8), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
        sa.Column("post", sqlmodel.sql.sqltypes.AutoString(length=50), nullable=False),
        sa.Column("chief", sa.Boolean(), nullable=False),
        sa.Column("expert", sa.Boolean(), nullable=False),
        sa.Column("woman", sa.Boolean(), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["bargaining_case.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("case_representative", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_case_representative_case_id"), ["case_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("case_representative", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_representative_case_id"))

    op.drop_table("case_representative")
