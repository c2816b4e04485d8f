"""each contract topic holds clause text: the proposals grow to a clause's length, the model
variant it started from is kept, and "agreed" freezes the agreed text with who and when

Revision ID: 0019
Revises: 0018
Create Date: 2026-11-30 11:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("case_topic") as batch:
        for column in ("our_demand", "their_position"):
            batch.alter_column(column, type_=sa.String(2000), existing_nullable=False)
        batch.add_column(sa.Column("variant", sa.String(20), nullable=False, server_default=""))
        batch.add_column(
            sa.Column("agreed_text", sa.String(2000), nullable=False, server_default="")
        )
        batch.add_column(sa.Column("agreed_round", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("agreed_by_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            "fk_case_topic_agreed_by_id_app_user", "app_user", ["agreed_by_id"], ["id"]
        )
        batch.add_column(
            sa.Column("agreed_at", storage.types.UTCDateTime(timezone=True), nullable=True)
        )
    with op.batch_alter_table("topic_event") as batch:
        for column in ("our_demand", "their_position"):
            batch.alter_column(column, type_=sa.String(2000), existing_nullable=False)
        batch.add_column(
            sa.Column("agreed_text", sa.String(2000), nullable=False, server_default="")
        )


def downgrade() -> None:
    with op.batch_alter_table("topic_event") as batch:
        batch.drop_column("agreed_text")
        for column in ("our_demand", "their_position"):
            batch.alter_column(column, type_=sa.String(500), existing_nullable=False)
    with op.batch_alter_table("case_topic") as batch:
        batch.drop_constraint("fk_case_topic_agreed_by_id_app_user", type_="foreignkey")
        for column in ("agreed_at", "agreed_by_id", "agreed_round", "agreed_text", "variant"):
            batch.drop_column(column)
        for column in ("our_demand", "their_position"):
            batch.alter_column(column, type_=sa.String(500), existing_nullable=False)
