"""clause tracker

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24 10:12:38.098398
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.types

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "case_topic",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=50), nullable=False),
        sa.Column("our_demand", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("their_position", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("status", sa.String(length=9), nullable=False),
        sa.Column("updated_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["bargaining_case.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("case_topic", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_topic_case_id"), ["case_id"], unique=False)

    op.create_table(
        "topic_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("topic_id", sa.Integer(), nullable=False),
        sa.Column("round_no", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=9), nullable=False),
        sa.Column("our_demand", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("their_position", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("by_id", sa.Integer(), nullable=False),
        sa.Column("at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["by_id"],
            ["app_user.id"],
        ),
        sa.ForeignKeyConstraint(
            ["topic_id"],
            ["case_topic.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("topic_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_topic_event_topic_id"), ["topic_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("topic_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_topic_event_topic_id"))

    op.drop_table("topic_event")
    with op.batch_alter_table("case_topic", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_topic_case_id"))

    op.drop_table("case_topic")
