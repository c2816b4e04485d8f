"""enterprise figures and wage guidelines as exact decimals: NUMERIC on PostgreSQL, whole
hundredths under NUMERIC on SQLite (see storage.types.Money), instead of floats

Revision ID: 0020
Revises: 0019
Create Date: 2026-11-30 11:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = {
    "enterprise_finance": {
        "revenue": (14, 2),
        "profit": (14, 2),
        "labour_cost": (14, 2),
        "wage_bill": (14, 2),
        "average_wage": (12, 2),
    },
    "wage_guideline": {
        "baseline_pct": (5, 2),
        "upper_pct": (5, 2),
        "lower_pct": (5, 2),
        "minimum_wage": (12, 2),
        "cpi_pct": (5, 2),
    },
}


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    for table, columns in COLUMNS.items():
        if sqlite:  # floats become whole hundredths before the type changes
            op.execute(
                f"UPDATE {table} SET "
                + ", ".join(f"{c} = CAST(ROUND({c} * 100) AS INTEGER)" for c in columns)
            )
        with op.batch_alter_table(table) as batch:
            for column, (precision, scale) in columns.items():
                batch.alter_column(
                    column,
                    type_=sa.Numeric(precision, scale),
                    existing_type=sa.Float(),
                    existing_nullable=False,
                    postgresql_using=f"ROUND({column}::numeric, {scale})",
                )


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    for table, columns in COLUMNS.items():
        with op.batch_alter_table(table) as batch:
            for column, (precision, scale) in columns.items():
                batch.alter_column(
                    column,
                    type_=sa.Float(),
                    existing_type=sa.Numeric(precision, scale),
                    existing_nullable=False,
                )
        if sqlite:
            op.execute(f"UPDATE {table} SET " + ", ".join(f"{c} = {c} / 100.0" for c in columns))
