"""The workers' congress held online: personal single-use links, check-in, the live quorum
(at least 2/3 of ALL present), the secret ballot (more than half of ALL for), the count on
the case, the resolution drafted from it; and what a copy of the database, taken while the
vote is open and after the count, can tell about who voted how (nothing)."""

from __future__ import annotations

import io
import logging
import re

import pytest
from docx import Document
from sqlmodel import select

from bot.callbacks import BallotAct, BallotCB, CongressAct, CongressCB
from bot.services.congress import Choice
from bot.settings import Settings
from bot.testing import ChatUser, Harness
from storage.models import BargainingCase, Congress, CongressBallot, CongressSeat, Stage
from storage.uow import UnitOfWork
from tests.conftest import make_settings
from tests.flows import instructor, open_case, register_enterprise, table_rows
from tests.test_anonymity import _links, _take_copy, _wal_is_empty

REPS = 8_223_456_000  # ten-digit ids: a coincidental match in the files is negligible


@pytest.fixture
def settings(any_db_url: str) -> Settings:
    return make_settings(any_db_url)


async def _draft_case(h: Harness) -> tuple[ChatUser, int]:
    chat = await instructor(h)
    await register_enterprise(chat)
    await open_case(chat)
    async with UnitOfWork(h.app.db.sessions) as uow:
        [case] = (await uow.session.execute(select(BargainingCase))).scalars().all()
        case.stage = Stage.draft
        await uow.commit()
    await chat.send("/menu")
    await chat.click("我的案件")
    await chat.click("光谷电子")
    return chat, case.id or 0


async def _convene(chat: ChatUser, total: int) -> list[str]:
    """Hold the vote online for `total` representatives; the seats' links from the slips."""
    await chat.click("职代会表决")
    await chat.click("线上表决")
    await chat.send(str(total))
    await chat.click("审议表决")  # the default motion
    assert "请核对" in chat.last_text
    panel = await chat.click("提交")
    assert "签到中" in panel.text
    assert f"应到 {total} 人" in panel.text
    await chat.click("表决凭证")
    slips = Document(io.BytesIO(chat.last_file().content))
    text = "\n".join(
        cell.text for table in slips.tables for row in table.rows for cell in row.cells
    )
    tokens = re.findall(r"start=(cg_[A-Za-z0-9_-]+)", text)
    assert len(set(tokens)) == total
    # One QR code per seat.
    assert len(slips.inline_shapes) == total
    return sorted(set(tokens), key=tokens.index)


async def _check_in(h: Harness, tokens: list[str], first: int = 0) -> list[ChatUser]:
    reps = []
    for n, token in enumerate(tokens, start=first):
        rep = h.user(REPS + n, f"代表{n}")
        reply = await rep.send(f"/start {token}")
        assert "签到成功" in reply.text or "已签到" in reply.text, reply.text
        reps.append(rep)
    return reps


async def _vote(reps: list[ChatUser], congress_id: int, choice: Choice) -> None:
    for rep in reps:
        cast = BallotCB(congress_id=congress_id, act=BallotAct.cast, choice=choice.value)
        reply = await rep.press(cast.pack())
        assert "您的票已投出" in reply.text, reply.text


async def _sitting(h: Harness) -> Congress:
    rows: list[Congress] = await table_rows(h, Congress)
    return max(rows, key=lambda c: c.id or 0)


async def test_the_legal_quorum_and_majority_of_all_representatives(harness: Harness):
    chat, case_id = await _draft_case(harness)
    tokens = await _convene(chat, 60)
    sitting = await _sitting(harness)
    cid = sitting.id or 0

    # 39 of 60 present: below two thirds, the vote does not open, even forged.
    reps = await _check_in(harness, tokens[:39])
    panel = await chat.click("刷新")
    assert "已签到 39 人" in panel.text
    assert "还差 1 人" in panel.text
    assert "开始表决" not in " ".join(label for label, _ in chat.buttons())
    forged = CongressCB(case_id=case_id, act=CongressAct.vote, congress_id=cid)
    reply = await chat.press(forged.pack())
    assert "暂不能开始表决" in reply.text
    assert "还差 1 人" in reply.text
    # A representative pressing "vote" too early is told so, and nothing is cast.
    early = await reps[0].click("投票")
    assert early.alerts
    assert "还没有开始" in early.alerts[0]

    # 40 present: quorate. 30 for, 10 against: fails, for it needs 31 of ALL 60.
    reps += await _check_in(harness, tokens[39:40], first=39)
    await chat.click("刷新")
    assert "投票中" in (await chat.click("开始表决")).text
    first = reps[0]
    await first.click("投票")
    await first.click("赞成")
    assert "您选择：赞成" in first.last_text
    await first.click("重新选择")
    await first.click("反对")
    await first.click("确认提交")
    assert "您的票已投出" in first.last_text
    assert "反对" not in first.last_text
    await _vote(reps[1:31], cid, Choice.yes)  # 30 for
    await _vote(reps[31:40], cid, Choice.no)  # with the first, 10 against
    panel = await chat.click("刷新")
    assert "已投票 40 人" in panel.text
    assert "赞成" not in re.sub(r"赞成票至少|超过全体", "", panel.text)  # no running tally
    await chat.click("结束表决并计票")
    result = await chat.click("结束并计票")
    assert "未通过" in result.text
    assert "赞成 30 票，反对 10 票，弃权 0 票" in result.text
    [case] = await table_rows(harness, BargainingCase)
    assert (case.congress_total, case.congress_present, case.congress_yes) == (60, 40, 30)
    assert not case.congress_passed

    # A new sitting after negotiating again: 45 present, 31 for passes.
    await chat.send("/menu")
    await chat.click("我的案件")
    await chat.click("光谷电子")
    tokens = await _convene(chat, 60)
    cid = (await _sitting(harness)).id or 0
    reps = await _check_in(harness, tokens[:45], first=100)
    await chat.click("刷新")
    await chat.click("开始表决")
    await _vote(reps[:31], cid, Choice.yes)
    await _vote(reps[31:40], cid, Choice.no)
    await _vote(reps[40:43], cid, Choice.abstain)  # two present do not vote
    await chat.click("结束表决并计票")
    result = await chat.click("结束并计票")
    assert "✅ 通过" in result.text
    assert "赞成 31 票，反对 9 票，弃权 3 票，未投票 2 人" in result.text
    [case] = await table_rows(harness, BargainingCase)
    assert (case.congress_present, case.congress_yes, case.congress_passed) == (45, 31, True)

    # The resolution is drafted from the count.
    await chat.click("职代会决议")
    await chat.click("跳过")  # the sitting's name
    await chat.click("跳过")  # the chair
    assert "请核对" in chat.last_text
    await chat.click("提交")
    resolution = Document(io.BytesIO(chat.last_file().content))
    text = "\n".join(p.text for p in resolution.paragraphs)
    assert "应到职工代表 60 人，实到 45 人" in text
    assert "线上无记名投票" in text
    assert "赞成 31 票，反对 9 票，弃权 3 票" in text
    assert "大会决议：通过" in text
    assert "至少 31 票" in text


async def test_one_person_one_seat_one_vote(harness: Harness):
    chat, case_id = await _draft_case(harness)
    tokens = await _convene(chat, 3)
    cid = (await _sitting(harness)).id or 0
    alice, bob, carol = (harness.user(REPS + n, f"代表{n}") for n in range(3))
    await alice.send(f"/start {tokens[0]}")
    # The same link again shows the seat; another account cannot take it.
    assert "第 1 号席位" in (await alice.send(f"/start {tokens[0]}")).text
    assert "已被另一个账号使用" in (await bob.send(f"/start {tokens[0]}")).text
    # One account holds one seat.
    assert "一人只能占一个席位" in (await alice.send(f"/start {tokens[1]}")).text
    await bob.send(f"/start {tokens[1]}")
    assert "无效" in (await carol.send("/start cg_notarealseatlink00000")).text
    await chat.click("刷新")
    await chat.click("开始表决")
    await _vote([alice], cid, Choice.yes)
    early = await alice.click("表决结果")  # voted, not counted yet
    assert early.alerts
    assert "计票结束后" in early.alerts[0]
    # A second vote is refused, pressed again or forged with another choice.
    again = BallotCB(congress_id=cid, act=BallotAct.cast, choice=Choice.no.value)
    assert "只能投一次" in (await alice.press(again.pack())).text
    # Someone without a seat cannot vote; a forged choice is refused.
    assert "没有在这次表决中签到" in (await carol.press(again.pack())).text
    odd = BallotCB(congress_id=cid, act=BallotAct.cast, choice="y2")
    assert "按钮已经过期" in (await bob.press(odd.pack())).text
    ballots = await table_rows(harness, CongressBallot)
    assert len(ballots) == 1
    # Another instructor cannot see or count this sitting.
    other = await instructor(harness, telegram_id=1199, org_name="武昌区总工会")
    for act in (CongressAct.panel, CongressAct.tally, CongressAct.slips, CongressAct.drop):
        reply = await other.press(CongressCB(case_id=case_id, act=act, congress_id=cid).pack())
        assert "没有权限" in reply.text, act
    assert (await _sitting(harness)).status.value == "voting"
    # After the count, a late link says the vote is over and how it ended.
    await chat.click("结束表决并计票")
    await chat.click("结束并计票")
    counted = await alice.click("表决结果")
    assert "赞成 1 票" in counted.text
    reply = await carol.send(f"/start {tokens[2]}")
    assert "已经结束" in reply.text
    assert "赞成 1 票" in reply.text


async def test_calling_off_destroys_the_ballots(harness: Harness):
    chat, _ = await _draft_case(harness)
    tokens = await _convene(chat, 3)
    cid = (await _sitting(harness)).id or 0
    reps = await _check_in(harness, tokens)
    await chat.click("刷新")
    await chat.click("开始表决")
    await _vote(reps[:1], cid, Choice.no)
    await chat.click("取消这次表决")
    await chat.click("确认取消")
    assert await table_rows(harness, CongressBallot) == []
    assert "取消" in (await reps[1].send(f"/start {tokens[1]}")).text
    [case] = await table_rows(harness, BargainingCase)
    assert case.congress_total is None


async def test_the_paper_count_stays(harness: Harness):
    chat, _ = await _draft_case(harness)
    await chat.click("职代会表决")
    await chat.click("纸质表决")
    await chat.send("30")
    await chat.send("25")
    await chat.send("16")
    assert "表决通过" in (await chat.click("提交")).text
    await chat.click("文书")
    await chat.click("职代会决议")
    await chat.send("今天")
    await chat.click("跳过")
    await chat.click("跳过")
    await chat.click("提交")
    text = "\n".join(p.text for p in Document(io.BytesIO(chat.last_file().content)).paragraphs)
    assert "赞成 16 票，反对和弃权共 9 票" in text


async def test_a_copy_of_the_database_links_no_ballot_to_a_representative(
    harness: Harness, caplog: pytest.LogCaptureFixture
):
    caplog.set_level(logging.INFO)
    chat, _ = await _draft_case(harness)
    tokens = await _convene(chat, 11)
    cid = (await _sitting(harness)).id or 0
    reps = await _check_in(harness, tokens)
    await chat.click("刷新")
    await chat.click("开始表决")
    # Representative n votes by n: an attacker who knew the votes could tell them apart.
    choices = [Choice.yes, Choice.no, Choice.abstain]
    for n, rep in enumerate(reps[:10]):
        await _vote([rep], cid, choices[n % 3])
    ids = [rep.id for rep in reps]

    copy = await _take_copy(harness, ("congress_seat", "congress_ballot"))
    for telegram_id in ids:
        assert _links(copy, cid, telegram_id) == [], telegram_id
    for token in tokens:  # the links themselves are not in the copy either
        assert not copy.holds(token)
    # Sealed ballots all have the same length, so their size tells no choice apart.
    ballots = await table_rows(harness, CongressBallot)
    assert len({len(b.sealed) for b in ballots}) == 1
    assert len(ballots) == 10
    keys = harness.app.survey_keys
    holders = [keys.holder(cid, telegram_id) for telegram_id in ids]
    assert all(copy.holds(tag) for tag in holders)  # the scan does see the seats
    # The logs name no representative.
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert not [i for i in ids if str(i) in logged]

    await chat.click("结束表决并计票")
    await chat.click("结束并计票")
    counted = await _take_copy(harness, ("congress_seat", "congress_ballot"))
    for telegram_id in ids:
        assert _links(counted, cid, telegram_id) == [], telegram_id
    assert not [tag for tag in holders if counted.holds(tag)]
    assert await table_rows(harness, CongressBallot) == []
    seats = await table_rows(harness, CongressSeat)
    assert all(s.holder is None and s.sealed_token is None for s in seats)
    assert sum(s.present for s in seats) == 11
    from sqlalchemy.engine import make_url

    url = make_url(harness.app.settings.database_url)
    if url.get_backend_name() == "sqlite":
        assert _wal_is_empty(str(url.database))
    sitting = await _sitting(harness)
    assert (sitting.yes, sitting.no, sitting.abstain) == (4, 3, 3)
