"""Supervision checks through the chat: schedule a visit of a contract in force, walk the
checklist with a problem photographed on site, rectification items reminded until closed,
and the supervision report drafted from the findings."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from bot import jobs
from bot.callbacks import CheckCB, ChecksCB
from bot.presentation.document_views import plain_text
from bot.testing import ChatUser, Harness
from storage.models import BargainingCase, Reminder, ReminderStatus, Stage
from storage.uow import UnitOfWork
from tests.flows import instructor, open_case, register_enterprise


async def _in_force(h: Harness) -> ChatUser:
    chat = await instructor(h)
    await register_enterprise(chat)
    await open_case(chat)
    async with UnitOfWork(h.app.db.sessions) as uow:
        [case] = (await uow.session.execute(select(BargainingCase))).scalars().all()
        case.stage = Stage.in_force
        await uow.commit()
    await chat.send("/menu")
    await chat.click("我的案件")
    await chat.click("光谷电子有限公司")
    return chat


async def _reminders(h: Harness, kind: str) -> list[Reminder]:
    async with UnitOfWork(h.app.db.sessions) as uow:
        found = await uow.session.execute(select(Reminder).where(Reminder.kind == kind))
        return list(found.scalars().all())


async def test_visit_problem_rectification_and_report(harness: Harness):
    chat = await _in_force(harness)
    await chat.click("更多")  # the card's second page
    await chat.click("履约检查")
    await chat.click("安排检查")
    assert "已经过去" in (await chat.send("2026-11-01")).text
    assert "没看懂这个日期" in (await chat.send("2026-02-31")).text
    await chat.send("2026-11-24")
    reply = await chat.send("李明、工会主席刘某 & <职工代表>")
    assert "请核对" in reply.text
    assert "李明、工会主席刘某 & <职工代表>" in reply.text
    reply = await chat.click("提交")
    assert "已检查 0/7 项" in reply.text

    await chat.click("▫️ 工资按时足额支付")
    await chat.click("合格")
    await chat.click("▫️ 工时和加班")
    await chat.click("有问题")
    assert "带说明文字的照片" in (await chat.send_sticker()).text
    assert "2 到" in (await chat.send_photo()).text  # a photo needs its caption
    await chat.send_photo("一线加班费按基本工资计算 & 少算")
    await chat.send("人力资源部")
    assert "已经过去" in (await chat.send("2026-11-20")).text
    reply = await chat.send("2026-11-27")
    assert "请核对发现的问题" in reply.text
    assert "（附照片）" in reply.text
    reply = await chat.click("提交")
    assert "🔧 一线加班费按基本工资计算 & 少算 · 人力资源部 · 2026-11-27" in reply.text
    assert "📷" in reply.text
    await chat.click("▫️ 女职工保护")
    await chat.click("不适用")

    # The item is reminded on its due day, then every three days until it is closed.
    harness.clock.advance(timedelta(days=3))  # 2026-11-27 10:00 in Wuhan
    await jobs.reminder_tick(harness.app)
    assert "今天到期" in chat.last_text
    await jobs.duty_tick(harness.app)  # plans the next one, three days on
    harness.clock.advance(timedelta(days=3))
    await jobs.reminder_tick(harness.app)
    assert "已逾期" in chat.last_text
    await jobs.duty_tick(harness.app)
    await jobs.reminder_tick(harness.app)  # nothing new the same day
    assert (
        len(
            [
                r
                for r in await _reminders(harness, "rectification")
                if r.status is ReminderStatus.sent
            ]
        )
        == 2
    )

    await chat.send("/menu")
    await chat.click("我的案件")
    await chat.click("光谷电子有限公司")
    await chat.click("更多")  # the card's second page
    await chat.click("履约检查")
    await chat.click("2026-11-24")
    reply = await chat.click("已整改")
    assert "✅ 一线加班费" in chat.last_text
    assert [r.status for r in await _reminders(harness, "rectification")].count(
        ReminderStatus.pending
    ) == 0

    await chat.click("完成检查")
    assert "已于" in chat.last_text
    await chat.click("生成监督检查报告")
    # Team, date and findings come from the visit; the rest is asked.
    for answer in ("2026年度集体合同", "无", "无", "无", "12", "90", "80", "85"):
        if "请核对" in chat.last_text:
            break
        await chat.send(answer)
    while "请核对" not in chat.last_text:
        await chat.send("无")
    assert "工作时间：发现问题（一线加班费" in chat.last_text
    await chat.click("提交")
    text = plain_text(chat.last_file("document").content)
    # Each area named: never "劳动报酬：合格；合格".
    assert "工资按时足额支付：合格" in text
    assert "合格；合格" not in text
    assert "工作时间：发现问题（一线加班费按基本工资计算 & 少算）" in text
    assert "李明、工会主席刘某 & <职工代表>" in text
    assert not harness.telegram.errors()


async def test_only_contracts_in_force_and_only_the_owner(harness: Harness):
    chat = await instructor(harness)
    await register_enterprise(chat)
    await open_case(chat)
    reply = await chat.press(ChecksCB(case_id=1, new=True).pack())
    assert "只有已生效" in reply.text  # said before anything is asked

    other = await instructor(harness, telegram_id=1102, org_name="江夏区总工会")
    assert "没有权限" in (await other.press(ChecksCB(case_id=1).pack())).text
    assert "没有权限" in (await other.press(CheckCB(check_id=1).pack())).text
