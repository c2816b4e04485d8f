"""anonymous surveys: who answered apart from the answers, under a key outside the database

Answers move to `survey_answer` (random ids, no voter hash, no hour) and their picks to
`survey_answer_pick`, copied in random order. Who answered (`survey_voter`), unfinished
answers (`survey_draft`), answers not yet released (`survey_pending`) and the answers per day
(`survey_day`) get tables of their own. The survey's secret is dropped: the voter hashes
made with it cannot be turned into the new keyed ones (the Telegram ids were never kept),
so a worker who answered a survey still open at the upgrade could answer it once more.
Unfinished answers kept in the conversation state under the worker's Telegram id are
deleted.

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-30 06:00:00
"""

import random
import secrets
from collections.abc import Sequence
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ZONE = ZoneInfo("Asia/Shanghai")


def _new_tables() -> None:
    op.create_table(
        "survey_voter",
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.Column("tag", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.ForeignKeyConstraint(["survey_id"], ["survey.id"]),
        sa.PrimaryKeyConstraint("survey_id", "tag"),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "survey_draft",
        sa.Column("tag", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.Column("sealed", sa.LargeBinary(), nullable=False),
        sa.Column("touched_on", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(["survey_id"], ["survey.id"]),
        sa.PrimaryKeyConstraint("tag"),
        sqlite_with_rowid=False,
    )
    op.create_index(op.f("ix_survey_draft_survey_id"), "survey_draft", ["survey_id"])
    op.create_table(
        "survey_pending",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.Column("sealed", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(["survey_id"], ["survey.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_survey_pending_survey_id"), "survey_pending", ["survey_id"])
    op.create_table(
        "survey_day",
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("answers", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["survey_id"], ["survey.id"]),
        sa.PrimaryKeyConstraint("survey_id", "day"),
    )
    op.create_table(
        "survey_answer",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.Column("rise", sa.Integer(), nullable=True),
        sa.Column("stratum", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=True),
        sa.Column("comment", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.ForeignKeyConstraint(["survey_id"], ["survey.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_survey_answer_rise", "survey_answer", ["survey_id", "rise"])
    op.create_index("ix_survey_answer_stratum", "survey_answer", ["survey_id", "stratum", "rise"])
    op.create_table(
        "survey_answer_pick",
        sa.Column("response_id", sa.BigInteger(), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("item", sa.Integer(), nullable=False),
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["response_id"], ["survey_answer.id"]),
        sa.ForeignKeyConstraint(["survey_id"], ["survey.id"]),
        sa.PrimaryKeyConstraint("response_id", "rank", "item"),
    )
    op.create_index(
        "ix_survey_answer_pick_survey", "survey_answer_pick", ["survey_id", "item", "rank"]
    )


def upgrade() -> None:
    _new_tables()
    bind = op.get_bind()
    old = bind.execute(
        sa.text("SELECT id, survey_id, hour, rise, stratum, comment FROM survey_response")
    ).all()
    picks: dict[int, list[tuple[int, int, int]]] = {}
    for response_id, rank, item, survey_id in bind.execute(
        sa.text("SELECT response_id, rank, item, survey_id FROM survey_pick")
    ).all():
        picks.setdefault(int(response_id), []).append((int(rank), int(item), int(survey_id)))
    random.shuffle(old)  # the new storage order says nothing of the old one
    days: dict[tuple[int, object], int] = {}
    used: set[int] = set()
    for old_id, survey_id, hour, rise, stratum, comment in old:
        new_id = secrets.randbelow(2**62) + 1
        while new_id in used:
            new_id = secrets.randbelow(2**62) + 1
        used.add(new_id)
        bind.execute(
            sa.text(
                "INSERT INTO survey_answer (id, survey_id, rise, stratum, comment) "
                "VALUES (:id, :sid, :rise, :stratum, :comment)"
            ),
            {"id": new_id, "sid": survey_id, "rise": rise, "stratum": stratum, "comment": comment},
        )
        for rank, item, pick_survey in picks.get(int(old_id), []):
            bind.execute(
                sa.text(
                    "INSERT INTO survey_answer_pick (response_id, rank, item, survey_id) "
                    "VALUES (:rid, :rank, :item, :sid)"
                ),
                {"rid": new_id, "rank": rank, "item": item, "sid": pick_survey},
            )
        moment = hour if isinstance(hour, datetime) else datetime.fromisoformat(str(hour))
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        key = (int(survey_id), moment.astimezone(ZONE).date())
        days[key] = days.get(key, 0) + 1
    for (survey_id, day), n in days.items():
        bind.execute(
            sa.text("INSERT INTO survey_day (survey_id, day, answers) VALUES (:sid, :day, :n)"),
            {"sid": survey_id, "day": day, "n": n},
        )
    op.drop_index("ix_survey_pick_survey", table_name="survey_pick")
    op.drop_table("survey_pick")
    op.drop_index("ix_survey_response_rise", table_name="survey_response")
    op.drop_index("ix_survey_response_stratum", table_name="survey_response")
    op.drop_table("survey_response")
    with op.batch_alter_table("survey") as batch:
        batch.drop_column("secret")
    bind.execute(sa.text("DELETE FROM fsm_record WHERE state LIKE 'Answering:%'"))


def downgrade() -> None:
    with op.batch_alter_table("survey") as batch:
        batch.add_column(
            sa.Column(
                "secret",
                sqlmodel.sql.sqltypes.AutoString(length=64),
                nullable=False,
                server_default="",
            )
        )
    op.create_table(
        "survey_response",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.Column("voter", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("hour", sa.DateTime(timezone=True), nullable=False),
        sa.Column("rise", sa.Integer(), nullable=True),
        sa.Column("stratum", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=True),
        sa.Column("comment", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.ForeignKeyConstraint(["survey_id"], ["survey.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("survey_id", "voter", name="uq_survey_response_voter"),
    )
    op.create_index("ix_survey_response_rise", "survey_response", ["survey_id", "rise"])
    op.create_index(
        "ix_survey_response_stratum", "survey_response", ["survey_id", "stratum", "rise"]
    )
    op.create_table(
        "survey_pick",
        sa.Column("response_id", sa.Integer(), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("item", sa.Integer(), nullable=False),
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["response_id"], ["survey_response.id"]),
        sa.ForeignKeyConstraint(["survey_id"], ["survey.id"]),
        sa.PrimaryKeyConstraint("response_id", "rank", "item"),
    )
    op.create_index("ix_survey_pick_survey", "survey_pick", ["survey_id", "item", "rank"])
    # Released answers go back without a time; what was pending, drafted or who answered
    # cannot be represented in the old tables and is dropped.
    bind = op.get_bind()
    rows = bind.execute(
        sa.text("SELECT id, survey_id, rise, stratum, comment FROM survey_answer")
    ).all()
    picks = bind.execute(
        sa.text("SELECT response_id, rank, item, survey_id FROM survey_answer_pick")
    ).all()
    numbers: dict[int, int] = {}
    epoch = datetime(2000, 1, 1, tzinfo=UTC)
    for number, (answer_id, survey_id, rise, stratum, comment) in enumerate(rows, start=1):
        numbers[int(answer_id)] = number
        bind.execute(
            sa.text(
                "INSERT INTO survey_response (id, survey_id, voter, hour, rise, stratum, comment) "
                "VALUES (:id, :sid, NULL, :hour, :rise, :stratum, :comment)"
            ),
            {
                "id": number,
                "sid": survey_id,
                "hour": epoch,
                "rise": rise,
                "stratum": stratum,
                "comment": comment,
            },
        )
    for answer_id, rank, item, survey_id in picks:
        bind.execute(
            sa.text(
                "INSERT INTO survey_pick (response_id, rank, item, survey_id) "
                "VALUES (:rid, :rank, :item, :sid)"
            ),
            {"rid": numbers[int(answer_id)], "rank": rank, "item": item, "sid": survey_id},
        )
    op.drop_index("ix_survey_answer_pick_survey", table_name="survey_answer_pick")
    op.drop_table("survey_answer_pick")
    op.drop_index("ix_survey_answer_stratum", table_name="survey_answer")
    op.drop_index("ix_survey_answer_rise", table_name="survey_answer")
    op.drop_table("survey_answer")
    op.drop_table("survey_day")
    op.drop_index(op.f("ix_survey_pending_survey_id"), table_name="survey_pending")
    op.drop_table("survey_pending")
    op.drop_index(op.f("ix_survey_draft_survey_id"), table_name="survey_draft")
    op.drop_table("survey_draft")
    op.drop_table("survey_voter")
