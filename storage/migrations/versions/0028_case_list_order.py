"""the case list's order as an index: a page is read off it, not sorted from the subtree

Revision ID: 0028
Revises: 0027
Create Date: 2026-11-30 14:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0028"
down_revision: str | None = "0027"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_bargaining_case_recent", "bargaining_case", ["updated_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_bargaining_case_recent", table_name="bargaining_case")
