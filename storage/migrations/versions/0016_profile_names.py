"""instructors are named by their profile everywhere: display names from the profiles

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-30 06:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.get_bind().execute(
        sa.text(
            "UPDATE app_user SET display_name = ("
            " SELECT name FROM instructor_profile WHERE instructor_profile.user_id = app_user.id"
            ") WHERE EXISTS ("
            " SELECT 1 FROM instructor_profile WHERE instructor_profile.user_id = app_user.id)"
        )
    )


def downgrade() -> None:
    """The Telegram names they replaced were not kept; nothing to undo."""
