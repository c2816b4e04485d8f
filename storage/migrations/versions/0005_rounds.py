"""negotiation rounds

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24 10:15:17.442208
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.types

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "negotiation_round",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("round_no", sa.Integer(), nullable=False),
        sa.Column("held_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("place", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("workers_present", sa.Integer(), nullable=False),
        sa.Column("employer_present", sa.Integer(), nullable=False),
        sa.Column("chiefs_present", sa.Boolean(), nullable=False),
        sa.Column("recorder", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
        sa.Column("agreements", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column("open_points", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column("next_meeting_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("notes", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["bargaining_case.id"],
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["app_user.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("negotiation_round", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_negotiation_round_case_id"), ["case_id"], unique=False)

    op.create_table(
        "round_revision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("before", sa.JSON(), nullable=False),
        sa.Column("by_id", sa.Integer(), nullable=False),
        sa.Column("at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["by_id"],
            ["app_user.id"],
        ),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["negotiation_round.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("round_revision", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_round_revision_round_id"), ["round_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("round_revision", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_round_revision_round_id"))

    op.drop_table("round_revision")
    with op.batch_alter_table("negotiation_round", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_negotiation_round_case_id"))

    op.drop_table("negotiation_round")
