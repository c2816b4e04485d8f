"""a contract in force published to all staff (公示): when and how

Revision ID: 0023
Revises: 0022
Create Date: 2026-11-30 12:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("bargaining_case") as batch:
        batch.add_column(sa.Column("published_on", sa.Date(), nullable=True))
        batch.add_column(
            sa.Column("published_how", sa.String(100), nullable=False, server_default="")
        )


def downgrade() -> None:
    with op.batch_alter_table("bargaining_case") as batch:
        batch.drop_column("published_how")
        batch.drop_column("published_on")
