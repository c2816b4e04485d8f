"""documents

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-24 12:44:57.331056
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.types

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "case_document",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("file_name", sqlmodel.sql.sqltypes.AutoString(length=160), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["bargaining_case.id"],
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["app_user.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("case_id", "kind", "version", name="uq_case_document_version"),
    )
    with op.batch_alter_table("case_document", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_document_case_id"), ["case_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("case_document", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_document_case_id"))

    op.drop_table("case_document")
