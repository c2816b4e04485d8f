"""surveys

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-24 12:17:51.647283
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.types

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "survey",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("token", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("secret", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("topics", sa.JSON(), nullable=False),
        sa.Column("questions", sa.JSON(), nullable=False),
        sa.Column("rise_max", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=9), nullable=False),
        sa.Column("opens_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("closes_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("published_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("closed_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("erased", sa.Boolean(), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["app_user.id"],
        ),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["bargaining_case.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token"),
    )
    with op.batch_alter_table("survey", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_survey_case_id"), ["case_id"], unique=False)

    op.create_table(
        "survey_response",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.Column("voter", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("hour", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("rise", sa.Integer(), nullable=True),
        sa.Column("stratum", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=True),
        sa.Column("comment", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.ForeignKeyConstraint(
            ["survey_id"],
            ["survey.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("survey_id", "voter", name="uq_survey_response_voter"),
    )
    with op.batch_alter_table("survey_response", schema=None) as batch_op:
        batch_op.create_index("ix_survey_response_rise", ["survey_id", "rise"], unique=False)
        batch_op.create_index(
            "ix_survey_response_stratum", ["survey_id", "stratum", "rise"], unique=False
        )

    op.create_table(
        "survey_pick",
        sa.Column("response_id", sa.Integer(), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("item", sa.Integer(), nullable=False),
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["response_id"],
            ["survey_response.id"],
        ),
        sa.ForeignKeyConstraint(
            ["survey_id"],
            ["survey.id"],
        ),
        sa.PrimaryKeyConstraint("response_id", "rank", "item"),
    )
    with op.batch_alter_table("survey_pick", schema=None) as batch_op:
        batch_op.create_index("ix_survey_pick_survey", ["survey_id", "item", "rank"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("survey_pick", schema=None) as batch_op:
        batch_op.drop_index("ix_survey_pick_survey")

    op.drop_table("survey_pick")
    with op.batch_alter_table("survey_response", schema=None) as batch_op:
        batch_op.drop_index("ix_survey_response_stratum")
        batch_op.drop_index("ix_survey_response_rise")

    op.drop_table("survey_response")
    with op.batch_alter_table("survey", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_survey_case_id"))

    op.drop_table("survey")
