"""a case keeps its costing: the proposals and the figures they were costed with

Revision ID: 0025
Revises: 0024
Create Date: 2026-11-30 12:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0025"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("bargaining_case") as batch:
        batch.add_column(sa.Column("costing", sa.JSON(), nullable=False, server_default="{}"))


def downgrade() -> None:
    with op.batch_alter_table("bargaining_case") as batch:
        batch.drop_column("costing")
