"""a stage change keeps a note: the labour administration's objection to a filed contract

Revision ID: 0024
Revises: 0023
Create Date: 2026-11-30 12:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("stage_event") as batch:
        batch.add_column(sa.Column("note", sa.String(2000), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("stage_event") as batch:
        batch.drop_column("note")
