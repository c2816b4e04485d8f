"""research data

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-24 10:20:57.017827
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "wage_guideline",
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("baseline_pct", sa.Float(), nullable=False),
        sa.Column("upper_pct", sa.Float(), nullable=False),
        sa.Column("lower_pct", sa.Float(), nullable=False),
        sa.Column("minimum_wage", sa.Float(), nullable=False),
        sa.Column("cpi_pct", sa.Float(), nullable=False),
        sa.Column("updated_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["org.id"],
        ),
        sa.PrimaryKeyConstraint("org_id", "year"),
    )
    op.create_table(
        "enterprise_finance",
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("revenue", sa.Float(), nullable=False),
        sa.Column("profit", sa.Float(), nullable=False),
        sa.Column("labour_cost", sa.Float(), nullable=False),
        sa.Column("wage_bill", sa.Float(), nullable=False),
        sa.Column("average_wage", sa.Float(), nullable=False),
        sa.Column("headcount", sa.Integer(), nullable=False),
        sa.Column("updated_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprise.id"],
        ),
        sa.PrimaryKeyConstraint("enterprise_id", "year"),
    )


def downgrade() -> None:
    op.drop_table("enterprise_finance")
    op.drop_table("wage_guideline")
