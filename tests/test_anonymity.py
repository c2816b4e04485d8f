"""Attacks on the anonymity of survey answers, as someone holding a copy of the server's
database (SQLite: the db, -wal and -shm files; PostgreSQL: a pg_dump and the table files),
its logs, taken while the survey is open and again after it closed. The guarantee: nothing
in the copy links any answer, submitted or unfinished, to a Telegram id; only the survey
key, which is not in the database, recognises a returning worker.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlmodel import select

from bot.services import survey_results
from bot.services.anonymity import HIDDEN, scrub
from bot.settings import Settings
from bot.testing import ChatUser, Harness
from storage.models import FsmRecord, SurveyResponse
from storage.uow import UnitOfWork
from tests.conftest import make_settings
from tests.test_surveys import _answer, _published

# Ten-digit ids: a coincidental match in the files is negligible.
WORKERS = [8_123_456_700 + n for n in range(11)]
SECRET_COMMENT = "我是车间主任老刘，工资太低"


@pytest.fixture
def settings(any_db_url: str) -> Settings:
    return make_settings(any_db_url)


@dataclass
class Copy:
    """Everything an attacker took: raw bytes, and the rows as text."""

    raw: bytes

    def holds(self, needle: str | bytes) -> bool:
        data = needle.encode() if isinstance(needle, str) else needle
        return data in self.raw


def _sqlite_files(database: str) -> bytes:
    return b"".join(
        Path(f"{database}{suffix}").read_bytes()
        for suffix in ("", "-wal", "-shm")
        if Path(f"{database}{suffix}").exists()
    )


def _pg_dump(libpq: str) -> bytes:
    return subprocess.run(
        ["pg_dump", "--data-only", libpq], capture_output=True, check=True, timeout=60
    ).stdout


def _read_if_allowed(path: Path) -> bytes:
    return path.read_bytes() if os.access(path, os.R_OK) else b""


def _wal_is_empty(database: str) -> bool:
    wal = Path(f"{database}-wal")
    return not wal.exists() or wal.stat().st_size == 0


SURVEY_TABLES = ("survey_voter", "survey_draft", "survey_pending", "survey_answer")


async def _take_copy(h: Harness, tables: tuple[str, ...] = SURVEY_TABLES) -> Copy:
    url = make_url(h.app.settings.database_url)
    if url.get_backend_name() == "sqlite":
        return Copy(_sqlite_files(str(url.database)))
    libpq = url.set(drivername="postgresql").render_as_string(hide_password=False)
    return Copy(_pg_dump(libpq) + await _table_files(h, tables))


async def _table_files(h: Harness, tables: tuple[str, ...]) -> bytes:
    """The tables' files on disk (dead rows included), if this user may read them."""
    raw = b""
    async with h.app.db.engine.connect() as connection:
        auto = await connection.execution_options(isolation_level="AUTOCOMMIT")
        await auto.exec_driver_sql("CHECKPOINT")
        folder = (await auto.execute(text("SHOW data_directory"))).scalar_one()
        for table in tables:
            path = (
                await auto.execute(text(f"SELECT pg_relation_filepath('{table}')"))
            ).scalar_one()
            raw += _read_if_allowed(Path(folder) / path)
    return raw


def _hex_candidates(copy: Copy) -> set[bytes]:
    """Every hex string or long token in the copy, tried as a key."""
    found: set[bytes] = set()
    for match in re.finditer(rb"[0-9a-fA-F]{32,128}|[A-Za-z0-9_\-]{24,64}", copy.raw):
        value = match.group(0)
        found.add(value)
        if re.fullmatch(rb"[0-9a-fA-F]+", value) and len(value) % 2 == 0:
            found.add(bytes.fromhex(value.decode()))
    return found


def _links(copy: Copy, survey_id: int, telegram_id: int) -> list[str]:
    """What in the copy points at this Telegram id: the id itself in any encoding, or a hash
    of it computable from what the copy holds."""
    found = []
    as_text = str(telegram_id)
    if copy.holds(as_text):
        found.append("the id as text")
    for size in (8, 6):
        for order in ("big", "little"):
            if copy.holds(telegram_id.to_bytes(size, order)):
                found.append(f"the id as {size} bytes {order}-endian")
    messages = [as_text, f"{survey_id}:{as_text}", f"{as_text}:{survey_id}"]
    for message in messages:
        if copy.holds(hashlib.sha256(message.encode()).hexdigest()):
            found.append(f"sha256({message})")
    for key in _hex_candidates(copy):
        for message in messages:
            digest = hmac.new(key, message.encode(), hashlib.sha256).hexdigest()
            if copy.holds(digest):
                found.append(f"hmac(key from the copy, {message})")
    return found


async def _answer_in_order(h: Harness, token: str, workers: list[ChatUser]) -> None:
    """Worker n answers with rise n % and a comment naming n, so a test can tell which
    row came from whom, as an attacker who knew the answers could."""
    for n, worker in enumerate(workers, start=1):
        await _answer(worker, token, rise=str(n), comment=f"第{n}号意见")


async def test_a_copy_of_the_database_links_no_answer_to_a_worker(
    harness: Harness, caplog: pytest.LogCaptureFixture
):
    caplog.set_level(logging.INFO)  # what the bot logs in production (DEBUG shows SQL parameters)
    chat, token = await _published(harness)
    workers = [harness.user(telegram_id, f"工人{n}") for n, telegram_id in enumerate(WORKERS)]
    answering, unfinished = workers[:10], workers[10]
    await _answer_in_order(harness, token, answering)
    # One worker reaches the confirm page with a comment that names them, and leaves it.
    await unfinished.send(f"/start {token}")
    await unfinished.click("开始作答")
    await unfinished.click("▫️ 劳动报酬")
    await unfinished.click("选好了")
    await unfinished.send("9")
    await unfinished.click("一线职工")
    reply = await unfinished.send(SECRET_COMMENT)
    assert "请确认" in reply.text
    async with UnitOfWork(harness.app.db.sessions) as uow:
        [survey] = await uow.surveys.of_case(1)
    sid = survey.id or 0

    # While the survey is open.
    copy = await _take_copy(harness)
    for telegram_id in WORKERS:
        assert _links(copy, sid, telegram_id) == [], telegram_id
    assert not copy.holds(SECRET_COMMENT)  # the unfinished answer is sealed
    # Only the survey key (not in the copy) recognises who answered: the operator's view.
    keys = harness.app.survey_keys
    tags = [keys.voter(sid, telegram_id) for telegram_id in WORKERS[:10]]
    assert all(copy.holds(tag) for tag in tags)  # the scan does see the voter table
    # No time on an answer, and neither ids nor storage order follow the order of answers.
    async with UnitOfWork(harness.app.db.sessions) as uow:
        columns = await uow.session.run_sync(
            lambda s: [c.name for c in SurveyResponse.__table__.columns]  # type: ignore[attr-defined]
        )
        released = (await uow.session.execute(select(SurveyResponse))).scalars().all()
    assert not [c for c in columns if c in ("hour", "created_at", "at", "time", "voter")]
    by_id = [r.rise or 0 for r in sorted(released, key=lambda r: r.id)]
    assert len(by_id) == 10
    assert by_id != sorted(by_id)
    in_files = [
        n for n in range(1, 11) if copy.holds(f"第{n}号意见")
    ]  # released comments are readable, as results are
    positions = [copy.raw.find(f"第{n}号意见".encode()) for n in in_files]
    assert positions != sorted(positions)
    # No conversation state keyed by a worker's id holds their page.
    async with UnitOfWork(harness.app.db.sessions) as uow:
        states = (await uow.session.execute(select(FsmRecord))).scalars().all()
    assert not [s for s in states if any(str(i) in s.key for i in WORKERS)]
    # The logs name no worker.
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert not [i for i in WORKERS if str(i) in logged]

    # After the survey closes: who answered and the unfinished answer are gone from the
    # files too, even for someone holding the key.
    await chat.click("提前结束")
    closed = await _take_copy(harness)
    for telegram_id in WORKERS:
        assert _links(closed, sid, telegram_id) == [], telegram_id
    assert not [tag for tag in tags if closed.holds(tag)]
    draft_tag = keys.draft(unfinished.id)
    assert not closed.holds(draft_tag)
    url = make_url(harness.app.settings.database_url)
    if url.get_backend_name() == "sqlite":
        assert _wal_is_empty(str(url.database))  # checkpointed and truncated
    # The unfinished worker's page ended with the survey.
    reply = await unfinished.click("提交")
    assert "提交" not in reply.text or "结束" in reply.text


async def test_results_at_n_and_n_plus_one_answers_are_the_same(harness: Harness):
    """The differencing attack: look at the results, let one more worker answer, look
    again. The second view must say nothing about that worker's answer."""
    chat, token = await _published(harness)
    workers = [harness.user(telegram_id, f"工人{n}") for n, telegram_id in enumerate(WORKERS)]
    for n, worker in enumerate(workers[:5], start=1):
        await _answer(worker, token, rise=str(n), comment=None)
    async with UnitOfWork(harness.app.db.sessions) as uow:
        [survey] = await uow.surveys.of_case(1)
        before = await survey_results.aggregate(
            uow, survey, harness.clock.now(), harness.app.settings
        )
    await _answer(
        workers[5], token, topics=("劳动安全与卫生",), rise="29", stratum="高层管理", comment="唯一"
    )
    async with UnitOfWork(harness.app.db.sessions) as uow:
        after = await survey_results.aggregate(
            uow, survey, harness.clock.now(), harness.app.settings
        )
    assert before.enough
    assert after.total == before.total + 1
    for part in ("topics", "rise", "strata", "comments", "released"):
        assert getattr(after, part) == getattr(before, part), part
    reply = await chat.click("结果")
    assert "高层管理" not in reply.text
    assert "29" not in reply.text
    assert "唯一" not in reply.text


@pytest.mark.parametrize(
    ("typed", "hidden"),
    [
        ("打我电话１３９００１３９０００", "１３９００１３９０００"),
        ("电话一三八零零一三八零零零", "一三八零零一三八零零零"),
        ("1 3 8 0 0 1 3 8 0 0 0 找我", "1 3 8 0 0 1 3 8 0 0 0"),
        ("手机 138.0013.8000", "138.0013.8000"),
        ("+86 138-0013-8000", "138-0013-8000"),
        ("座机 027-87654321", "027-87654321"),
        ("身份证 420106 19800101 1234", "420106 19800101 1234"),
        ("身份证420106198001011234", "420106198001011234"),
        ("QQ 12345678", "12345678"),
        ("qq号：52341", "52341"),
        ("邮箱 zhang(at)qq.com", "zhang"),
        ("zhang@qq.com", "qq.com"),
        ("zhang at qq dot com", "zhang"),
        ("加我微信：zhang_san88", "zhang_san88"),
        ("vx wxid_abc123 联系", "wxid_abc123"),
        ("工资卡 6222 0212 3456 7890", "6222 0212 3456 7890"),
    ],
)
def test_the_scrubber_hides_contact_details_in_any_form(typed: str, hidden: str):
    assert hidden not in scrub(typed)
    assert HIDDEN in scrub(typed)


@pytest.mark.parametrize(
    "typed",
    [
        "希望工资涨到 5000-6000 元",
        "工资 8,000~10,000",
        "涨 15%，三年合同",
        "工龄 12 年，月薪 4500",
        "2026年12月15日前答复",
        "一二车间的夜班太多",
    ],
)
def test_the_scrubber_leaves_amounts_dates_and_words(typed: str):
    assert scrub(typed) == typed


def test_the_key_file_is_made_once_and_shared(tmp_path):
    from bot.services.anonymity import SurveyKeys

    key_file = tmp_path / "keys" / "survey.key"
    first = SurveyKeys.load(None, key_file)
    second = SurveyKeys.load(None, key_file)
    assert first.voter(1, 42) == second.voter(1, 42)
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert [p.name for p in key_file.parent.iterdir()] == ["survey.key"]
    assert SurveyKeys.load("a secret", key_file).voter(1, 42) != first.voter(1, 42)
