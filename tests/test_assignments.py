"""Assignments: the liaison gives a task; instructors get it with Accept / Decline; the
ledger shows deliveries and answers; silence is reminded, then escalated to the liaison."""

from __future__ import annotations

import io
from datetime import timedelta

from openpyxl import load_workbook

from bot import jobs
from bot.callbacks import AssignAct, AssignCB
from bot.testing import ChatUser, Harness
from storage.models import Assignment, OrgLevel, Role
from storage.uow import UnitOfWork
from tests.factories import join, make_org
from tests.flows import register_enterprise, table_rows


async def _people(h: Harness) -> tuple[ChatUser, list[ChatUser]]:
    city = await make_org(h, "武汉市总工会")
    county = await make_org(h, "洪山区总工会", OrgLevel.county, "武汉市总工会")
    liaison = h.user(1001, "王芳")
    await join(h, liaison, city, Role.liaison)
    people = []
    for i, name in enumerate(("李明", "张华", "赵强")):
        chat = h.user(1101 + i, name)
        await join(h, chat, county, Role.instructor)
        people.append(chat)
    return liaison, people


async def _assign(liaison: ChatUser, enterprise: str | None, audience: str) -> str:
    await liaison.send("/menu")
    await liaison.click("派遣任务")
    await liaison.click("新任务")
    await liaison.click("协商")
    if enterprise is None:
        await liaison.click("跳过")
    else:
        await liaison.send(enterprise)
    assert "已经过去" in (await liaison.send("2026-11-01")).text
    await liaison.send("2026-12-15")
    await liaison.send("指导光谷电子开展工资集体协商 & <准备要约>")
    return (await liaison.click(audience)).text


async def test_assign_accept_decline_done_and_ledger(harness: Harness):
    liaison, (a, b, c) = await _people(harness)
    await register_enterprise(a)  # 光谷电子有限公司, under 洪山区总工会
    review = await _assign(liaison, "光谷", "全部指导员")
    assert "企业：光谷电子有限公司" in review  # the enterprise the words name, before sending
    reply = await liaison.click("提交")
    assert "正在通知 3 名指导员" in reply.text
    assert "光谷电子有限公司" in reply.text
    assert "已送达 0/3" in reply.text

    harness.telegram.blocked.add(c.id)
    await jobs.reminder_tick(harness.app)
    assert "新任务" in a.last_text
    assert "指导光谷电子开展工资集体协商 & <准备要约>" in a.last_text
    assert "已接受任务" in (await a.click("✅ 接受")).text
    await b.click("✖️ 拒绝")
    assert "2 到 300" in (await b.send("忙")).text
    reply = await b.send("本月在外地参加培训")
    assert "理由已转告联络员（王芳）" in reply.text
    # The liaison who gave the task is told at once, with the reason.
    told = reply.sent_to(liaison.id)
    assert len(told) == 1
    assert "张华" in told[0]
    assert "拒绝了任务" in told[0]
    assert "本月在外地参加培训" in told[0]

    reply = await liaison.press(AssignCB(assignment_id=1).pack())
    assert "已送达 2/3" in reply.text
    assert "接受 1" in reply.text
    assert "拒绝 1" in reply.text
    assert "本月在外地参加培训" in reply.text
    assert "已屏蔽机器人" in reply.text

    await a.send("/menu")
    await a.click("我的任务")
    reply = await a.click("✅ 12-15")
    assert "任务已标记完成" in reply.text
    await a.press(
        AssignCB(assignment_id=1, action=AssignAct.decline).pack()
    )  # an old button after the task is done
    assert "已经完成" in (await a.send("改主意了")).text
    reply = await liaison.press(AssignCB(assignment_id=1).pack())
    assert "完成 1" in reply.text
    await liaison.click("导出台账")
    book = load_workbook(io.BytesIO(liaison.last_file("document").content))
    ledger = {row[0]: row[1:4] for row in book["任务台账"].iter_rows(min_row=2, values_only=True)}
    assert ledger["李明"][:2] == ("已送达", "已完成")
    assert ledger["张华"] == ("已送达", "已拒绝", "本月在外地参加培训")
    assert ledger["赵强"][0] == "已屏蔽机器人"

    # Nobody is nudged who answered; the liaison hears of no one (c blocked the bot).
    harness.clock.advance(timedelta(hours=49))
    await jobs.reminder_tick(harness.app)
    assert "还没有回复" not in a.last_text
    assert "赵强 还没有回复派遣任务" in liaison.last_text
    assert not [e for e in harness.telegram.errors() if e.chat_id != c.id]


async def test_silence_is_reminded_then_escalated_and_access(harness: Harness):
    liaison, (a, b, _c) = await _people(harness)
    await _assign(liaison, None, "点选指导员")
    await liaison.click("提交")
    await liaison.click("▫️ 张华")
    # A forged pick of someone outside the liaison's subtree is not counted.
    elsewhere = await make_org(harness, "黄石市总工会")
    far = harness.user(1200, "外地指导员")
    await join(harness, far, elsewhere, Role.instructor)
    async with UnitOfWork(harness.app.db.sessions) as uow:
        far_row = await uow.users.by_telegram_id(1200)
    assert far_row is not None
    reply = await liaison.press(AssignCB(action=AssignAct.pick, user_id=far_row.id).pack())
    assert "派出（1 人）" in " ".join(label for label, _ in liaison.buttons())
    assert "外地指导员" not in reply.text
    reply = await liaison.click("派出（1 人）")
    assert "1 名指导员" in reply.text
    await jobs.reminder_tick(harness.app)
    assert not any("新任务" in m.get("text", "") for m in far.bot_messages())
    assert "新任务" in b.last_text
    assert not any("新任务" in m.get("text", "") for m in a.bot_messages())

    harness.clock.advance(timedelta(hours=25))
    await jobs.reminder_tick(harness.app)
    assert "有一项任务还没有回复" in b.last_text
    harness.clock.advance(timedelta(hours=24))
    await jobs.reminder_tick(harness.app)
    assert "张华 还没有回复派遣任务" in liaison.last_text

    # Not a recipient, not the right union: refused.
    assert (
        "没有权限"
        in (await a.press(AssignCB(assignment_id=1, action=AssignAct.accept).pack())).text
    )
    outsider = harness.user(1009, "外地联络员")
    await join(harness, outsider, elsewhere, Role.liaison)
    assert "没有权限" in (await outsider.press(AssignCB(assignment_id=1).pack())).text
    assert (
        "请先接受" in (await b.press(AssignCB(assignment_id=1, action=AssignAct.done).pack())).text
    )


async def test_the_review_says_which_enterprise_the_words_name(harness: Harness):
    """The task's review shows the enterprise the typed words found, or why none was: a
    liaison sees it before sending, not after."""
    liaison, (a, _, _) = await _people(harness)
    await register_enterprise(a)
    review = await _assign(liaison, "星河物流", "全部指导员")
    assert "企业：星河物流 ⚠️ 辖区内没有找到这家企业" in review
    reply = await liaison.click("提交")
    assert "辖区内没有找到这家企业" in reply.text
    assert not await table_rows(harness, Assignment)
