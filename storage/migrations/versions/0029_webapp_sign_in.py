"""the Mini App's sign-ins: an initData exchanged once for a dashboard session

Revision ID: 0029
Revises: 0028
Create Date: 2026-11-30 16:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0029"
down_revision: str | None = "0028"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "webapp_sign_in",
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("expires_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("digest"),
    )
    op.create_index("ix_webapp_sign_in_expires_at", "webapp_sign_in", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_webapp_sign_in_expires_at", table_name="webapp_sign_in")
    op.drop_table("webapp_sign_in")
