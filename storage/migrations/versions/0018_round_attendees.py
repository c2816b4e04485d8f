"""who attended a negotiation meeting, ticked from the registered representatives

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-30 08:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("negotiation_round") as batch:
        batch.add_column(sa.Column("attendees", sa.JSON(), nullable=False, server_default="{}"))


def downgrade() -> None:
    with op.batch_alter_table("negotiation_round") as batch:
        batch.drop_column("attendees")
