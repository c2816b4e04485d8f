"""the workers' congress held online: sessions, seats with personal links, sealed ballots

Revision ID: 0026
Revises: 0025
Create Date: 2026-11-30 13:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.types

revision: str = "0026"
down_revision: str | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "congress",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("motion", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=9), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("voting_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("closed_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("held_on", sa.Date(), nullable=True),
        sa.Column("present", sa.Integer(), nullable=True),
        sa.Column("yes", sa.Integer(), nullable=True),
        sa.Column("no", sa.Integer(), nullable=True),
        sa.Column("abstain", sa.Integer(), nullable=True),
        sa.Column("unread", sa.Integer(), nullable=True),
        sa.Column("passed", sa.Boolean(), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["bargaining_case.id"]),
        sa.ForeignKeyConstraint(["created_by"], ["app_user.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_congress_case_id", "congress", ["case_id"])
    op.create_table(
        "congress_seat",
        sa.Column("congress_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("lookup", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("sealed_token", sa.LargeBinary(), nullable=True),
        sa.Column("holder", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("present", sa.Boolean(), nullable=False),
        sa.Column("voted", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["congress_id"], ["congress.id"]),
        sa.PrimaryKeyConstraint("congress_id", "number"),
        sa.UniqueConstraint("lookup"),
        sqlite_with_rowid=False,
    )
    op.create_index("ix_congress_seat_holder", "congress_seat", ["congress_id", "holder"])
    op.create_table(
        "congress_ballot",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("congress_id", sa.Integer(), nullable=False),
        sa.Column("sealed", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(["congress_id"], ["congress.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_congress_ballot_congress_id", "congress_ballot", ["congress_id"])


def downgrade() -> None:
    op.drop_index("ix_congress_ballot_congress_id", table_name="congress_ballot")
    op.drop_table("congress_ballot")
    op.drop_index("ix_congress_seat_holder", table_name="congress_seat")
    op.drop_table("congress_seat")
    op.drop_index("ix_congress_case_id", table_name="congress")
    op.drop_table("congress")
