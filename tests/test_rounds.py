"""Logging negotiation meetings: taps and short answers, validation, automatic numbering,
the first meeting starting the negotiation, corrections with history, topic history by round."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlmodel import select

from bot.callbacks import RoundsCB
from bot.settings import Settings
from bot.testing import ChatUser, Harness
from storage.models import BargainingCase, NegotiationRound, RoundRevision, Stage, TopicEvent
from storage.uow import UnitOfWork
from tests.conftest import make_settings
from tests.flows import (
    case_with_reply,
    instructor,
    meeting_at_attendance,
    open_case,
    register_enterprise,
)


@pytest.fixture
def settings(any_db_url: str) -> Settings:
    """These flows run on SQLite and on PostgreSQL."""
    return make_settings(any_db_url)


async def _rows(h: Harness, model):
    async with UnitOfWork(h.app.db.sessions) as uow:
        return list((await uow.session.execute(select(model))).scalars().all())


async def log_plain_round(chat: ChatUser, place: str = "公司三楼会议室") -> None:
    """A meeting at 9:00 today with five a side, both chiefs, nothing optional."""
    await chat.click("记录协商会议")
    await chat.click("今天 9:00")
    await chat.send(place)
    await chat.send("5")
    await chat.send("5")
    await chat.click("是")
    await chat.send("张记录")
    for _ in range(4):
        await chat.click("跳过")
    await chat.click("提交")


async def test_quick_picks_offer_only_moments_already_past(harness: Harness):
    """At 10:00 local, 14:00 today is still to come; just after midnight, so is 9:00."""
    chat = await case_with_reply(harness)
    await chat.click("记录协商会议")
    picks = [label for label, _ in chat.buttons() if ":" in label]
    assert picks == ["今天 9:00", "昨天 14:00"]
    harness.clock.set(datetime(2026, 11, 24, 16, 30, tzinfo=UTC))  # 00:30 in Shanghai
    reply = await chat.click("取消")
    assert "↩️ 返回案件" in [label for label, _ in chat.buttons(reply.messages[-1])]
    await chat.click("返回案件")  # a form left returns to where it was started
    await chat.click("记录协商会议")
    picks = [label for label, _ in chat.buttons() if ":" in label]
    assert picks == ["昨天 14:00"]
    reply = await chat.send("今天 9:00")  # typed anyway: refused, the one pick offered again
    assert "还没到" in reply.text
    assert "昨天 14:00" in [label for label, _ in chat.buttons(reply.messages[-1])]
    assert "2/10" in (await chat.click("昨天 14:00")).text


async def test_log_a_round_in_a_few_taps(harness: Harness):
    chat = await case_with_reply(harness)
    await chat.click("记录协商会议")
    assert "还没到" in (await chat.send("明天 9:00")).text
    assert "无法识别" in (await chat.send("2026-02-30 9:00")).text
    # A date before the offer passes this step; saving refuses it (the check needs the case).
    assert "2/10" in (await chat.send("2026-11-09 9:00")).text
    await chat.send("公司三楼会议室")
    assert "0 到 10" in (await chat.send("12")).text
    await chat.send("5")
    await chat.send("5人")
    await chat.click("是")
    await chat.send("张记录")
    await chat.click("跳过")
    await chat.send("工资增长幅度；\n加班费基数")
    assert "之后" in (await chat.send("2026-11-01 14:00")).text
    await chat.send("2026-12-01 14:30")
    await chat.click("跳过")
    assert "请核对会议记录" in chat.last_text
    assert "加班费基数" in chat.last_text
    reply = await chat.click("提交")
    assert "早于发出要约" in reply.text
    await chat.click("✏️ 时间")
    await chat.click("今天 9:00")
    reply = await chat.click("提交")
    assert "已保存第 1 轮" in reply.text

    [meeting] = await _rows(harness, NegotiationRound)
    assert meeting.round_no == 1
    assert meeting.held_at == datetime(2026, 11, 24, 1, 0, tzinfo=UTC)  # 9:00 in Shanghai
    assert meeting.workers_present == 5
    assert meeting.employer_present == 5
    assert meeting.chiefs_present
    assert meeting.open_points == "工资增长幅度；\n加班费基数"
    assert meeting.next_meeting_at == datetime(2026, 12, 1, 6, 30, tzinfo=UTC)
    [case] = await _rows(harness, BargainingCase)
    assert case.stage is Stage.negotiating  # the first meeting started the negotiation
    assert str(case.first_round_on) == "2026-11-24"

    # An afternoon meeting, logged after it ends, gets number 2; topic changes carry it.
    harness.clock.advance(hours=6)
    await chat.click("返回案件")
    await chat.click("记录协商会议")
    await chat.click("今天 14:00")
    await chat.send("工会活动室")
    await chat.send("5")
    await chat.send("4")
    await chat.click("否")
    await chat.send("张记录")
    for _ in range(4):
        await chat.click("跳过")
    assert "已保存第 2 轮" in (await chat.click("提交")).text
    await chat.click("返回案件")
    await chat.click("📋 议题")
    await chat.click("添加议题")
    await chat.click("劳动报酬")
    [event] = await _rows(harness, TopicEvent)
    assert event.round_no == 2
    assert not harness.telegram.errors()


async def test_correct_a_round_keeps_history(harness: Harness):
    chat = await case_with_reply(harness)
    await log_plain_round(chat)
    await chat.click("返回案件")
    await chat.click("更多")  # the card's second page
    await chat.click("会议记录")
    reply = await chat.click("#1")
    assert "公司三楼会议室" in reply.text
    await chat.click("更正")
    assert "请核对会议记录" in chat.last_text
    await chat.click("✏️ 地点")
    await chat.send("公司一楼大会议室")
    reply = await chat.click("提交")
    assert "已更正" in reply.text
    [meeting] = await _rows(harness, NegotiationRound)
    assert meeting.place == "公司一楼大会议室"
    [revision] = await _rows(harness, RoundRevision)
    assert revision.before["place"] == "公司三楼会议室"
    await chat.click("返回案件")
    await chat.click("更多")  # the card's second page
    await chat.click("会议记录")
    assert "已更正 1 次" in (await chat.click("#1")).text


async def test_no_rounds_before_the_reply(harness: Harness):
    chat = await instructor(harness)
    await register_enterprise(chat)
    await open_case(chat)
    assert "记录协商会议" not in [label for label, _ in chat.buttons()]
    [case] = await _rows(harness, BargainingCase)
    reply = await chat.press(RoundsCB(case_id=case.id, new=True).pack())
    assert "1/10" in reply.text  # the form opens...
    for step in ("今天 9:00",):
        await chat.send(step)
    await chat.send("会议室")
    await chat.send("5")
    await chat.send("5")
    await chat.click("是")
    await chat.send("张记录")
    for _ in range(4):
        await chat.click("跳过")
    assert "不在协商阶段" in (await chat.click("提交")).text  # ...but nothing is saved
    assert await _rows(harness, NegotiationRound) == []


async def test_case_card_shows_topics_and_last_round(harness: Harness):
    chat = await case_with_reply(harness)
    await log_plain_round(chat)
    await chat.click("📋 议题")  # straight from the saved meeting to the tracker
    await chat.click("添加议题")
    await chat.click("工资支付办法")
    reply = await chat.click("返回案件")
    assert "⚪ 工资支付办法 · 已提出" in reply.text
    assert "最近一次协商：第 1 轮，2026-11-24 09:00，公司三楼会议室" in reply.text


async def test_attendance_cannot_exceed_the_registered_representatives(harness: Harness):

    chat, _ = await meeting_at_attendance(harness, ("王工", "李工", "赵工"), chief="王工")
    reply = await chat.send("5")
    assert "登记了 3 名协商代表" in reply.text
    assert "0 到 3" in reply.text
    assert "企业方" in (await chat.send("3")).text  # the next question: accepted
    # The employer side registered nobody: the legal maximum bounds it.
    assert "首席" in (await chat.send("8")).text


async def test_attendance_is_ticked_from_the_registered_representatives(harness: Harness):
    """With representatives registered, attendance is tapped person by person: the count and
    the names are kept, a correction starts from the same ticks, a forged tick is refused."""
    from handlers.forms import FormAct, FormCB

    chat, step = await meeting_at_attendance(harness, ("李工", "王工", "赵工"), chief="王工")
    assert "逐个点选" in step
    labels = [label for label, _ in chat.buttons()]
    assert labels[:3] == ["▫️ 王工", "▫️ 李工", "▫️ 赵工"]  # the chief first
    question = chat.last()
    await chat.click("▫️ 王工")
    await chat.click("▫️ 赵工")
    assert chat.last()["message_id"] == question["message_id"]  # ticked in place
    assert "✅ 完成（已选 2）" in [label for label, _ in chat.buttons()]
    await chat.click("☑️ 赵工")  # untick, and tick again
    await chat.click("▫️ 赵工")
    forged = await chat.press(FormCB(form="rd", action=FormAct.tick, value="999").pack())
    assert "按钮已经过期" in forged.text
    reply = await chat.click("完成")
    assert "企业方还没有登记代表" in reply.text  # nobody registered there: a number is typed
    await chat.send("4")
    await chat.click("是")
    await chat.send("张记录")
    for _ in range(4):
        await chat.click("跳过")
    assert "职工方到会：王工、赵工" in chat.last_text
    assert "职工方 2 人，企业方 4 人" in chat.last_text
    assert "已保存第 1 轮" in (await chat.click("提交")).text
    [meeting] = await _rows(harness, NegotiationRound)
    assert meeting.workers_present == 2
    assert meeting.attendees == {"workers": ["王工", "赵工"], "employer": []}

    await chat.click("返回案件")
    await chat.click("更多")
    await chat.click("会议记录")
    assert "职工方到会：王工、赵工" in (await chat.click("#1")).text
    await chat.click("更正")
    await chat.click("✏️ 职工方到会")
    labels = [label for label, _ in chat.buttons()]
    assert labels[:3] == ["☑️ 王工", "▫️ 李工", "☑️ 赵工"]  # as logged
    await chat.click("▫️ 李工")
    reply = await chat.click("完成")
    assert "职工方到会：王工、李工、赵工" in reply.text  # back on the review
    assert "已更正" in (await chat.click("提交")).text
    [meeting] = await _rows(harness, NegotiationRound)
    assert meeting.workers_present == 3
    assert meeting.attendees["workers"] == ["王工", "李工", "赵工"]


async def test_both_chiefs_present_must_agree_with_the_ticks(harness: Harness):
    chat, _ = await meeting_at_attendance(harness, ("王工", "李工", "赵工"), chief="王工")
    await chat.click("▫️ 李工")
    await chat.click("完成")
    await chat.send("3")
    await chat.click("是")  # both chiefs, though 王工 was not ticked
    await chat.send("张记录")
    for _ in range(4):
        await chat.click("跳过")
    reply = await chat.click("提交")
    assert "首席代表 王工 没有勾选为到会" in reply.text
    await chat.click("✏️ 首席出席")
    await chat.click("否")
    assert "已保存第 1 轮" in (await chat.click("提交")).text
