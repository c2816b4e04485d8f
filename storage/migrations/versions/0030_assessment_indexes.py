"""indexes for the assessment's counts (person, then time) at province scale

Revision ID: 0030
Revises: 0029
Create Date: 2026-11-30 17:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0030"
down_revision: str | None = "0029"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = (
    ("ix_negotiation_round_by", "negotiation_round", ["created_by_id", "held_at"]),
    ("ix_survey_by", "survey", ["author_id", "published_at"]),
    ("ix_case_document_by", "case_document", ["created_by_id", "created_at"]),
    ("ix_supervision_check_by", "supervision_check", ["created_by_id", "finished_at"]),
)


def upgrade() -> None:
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns)


def downgrade() -> None:
    for name, table, _ in INDEXES:
        op.drop_index(name, table_name=table)
