"""a topic's tentative agreement records both chiefs' sign-off (who, when)

Revision ID: 0022
Revises: 0021
Create Date: 2026-11-30 12:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("topic_event") as batch:
        batch.add_column(sa.Column("signed_by", sa.String(100), nullable=False, server_default=""))
    with op.batch_alter_table("case_topic") as batch:
        batch.add_column(sa.Column("ta_chiefs", sa.String(100), nullable=False, server_default=""))
        batch.add_column(
            sa.Column("ta_at", storage.types.UTCDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("case_topic") as batch:
        batch.drop_column("ta_at")
        batch.drop_column("ta_chiefs")
    with op.batch_alter_table("topic_event") as batch:
        batch.drop_column("signed_by")
