"""Personal reminders: /remind by free text or quick choices, the list and cancel, Done and
snooze on delivered reminders, quiet hours, and bad times."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import select

from bot import jobs
from bot.callbacks import RemindCB
from bot.testing import Harness
from storage.models import Reminder, ReminderStatus
from storage.uow import UnitOfWork
from tests.flows import instructor

SHANGHAI = ZoneInfo("Asia/Shanghai")


async def _personal(h: Harness) -> list[Reminder]:
    async with UnitOfWork(h.app.db.sessions) as uow:
        found = await uow.session.execute(select(Reminder).where(Reminder.kind == "personal"))
        return sorted(found.scalars().all(), key=lambda r: r.id or 0)


async def test_free_text_list_and_cancel(harness: Harness):
    chat = await instructor(harness)  # the clock says 10:00 in Wuhan
    reply = await chat.send("/remind 明天 9:00 交月报 & <总结>")
    assert "交月报 & <总结>" in reply.text
    assert "2026-11-25 09:00" in reply.text
    [first] = await _personal(harness)
    assert first.due_at.astimezone(SHANGHAI) == datetime(2026, 11, 25, 9, 0, tzinfo=SHANGHAI)

    reply = await chat.send("/remind 今天 23:30 给刘主席回电话")
    assert "免打扰" in reply.text
    assert "2026-11-25 08:00" in reply.text

    reply = await chat.send("/remind")
    assert "交月报" in reply.text
    assert "给刘主席回电话" in reply.text
    await chat.click("交月报")
    assert "交月报" not in chat.last_text
    statuses = [r.status for r in await _personal(harness)]
    assert statuses == [ReminderStatus.cancelled, ReminderStatus.pending]

    for bad, answer in (
        ("/remind 昨天 9:00 过去的事", "已经过去"),
        ("/remind 2026-02-31 9:00 不存在的日子", "没看懂时间"),
        ("/remind 随便写写", "没看懂时间"),
        ("/remind 2030-01-01 9:00 太远", "一年以内"),
    ):
        assert answer in (await chat.send(bad)).text
    assert len(await _personal(harness)) == 2


async def test_quick_choice_delivery_snooze_and_done(harness: Harness):
    chat = await instructor(harness)
    await chat.send("/menu")
    await chat.click("我的提醒")
    await chat.click("新提醒")
    assert "1 到 200" in (await chat.send("字" * 201)).text
    await chat.send("准备协商材料")
    reply = await chat.click("1 小时后")
    assert "请核对提醒" in reply.text
    reply = await chat.click("提交")
    assert "将在 2026-11-24 11:00 提醒您" in reply.text

    harness.clock.advance(timedelta(hours=1))
    await jobs.reminder_tick(harness.app)
    assert "⏰ 提醒：准备协商材料" in chat.last_text
    labels = [label for label, _ in chat.buttons()]
    assert labels == ["✅ 完成", "⏰ 1 小时后", "📅 明天"]

    reply = await chat.click("⏰ 1 小时后")
    assert "12:00" in reply.text
    harness.clock.advance(timedelta(hours=1))
    stats = await jobs.reminder_tick(harness.app)
    assert stats.sent == 1
    assert "⏰ 提醒：准备协商材料" in chat.last_text
    assert "已完成" in (await chat.click("✅ 完成")).text
    assert "已经标记为完成" in (await chat.click("✅ 完成")).text
    assert "已经标记为完成" in (await chat.click("📅 明天")).text

    # Nothing more arrives, however often the tick runs.
    harness.clock.advance(timedelta(days=2))
    assert (await jobs.reminder_tick(harness.app)).sent == 0


async def test_someone_elses_reminder_cannot_be_touched(harness: Harness):
    chat = await instructor(harness)
    await chat.send("/remind 明天 9:00 私事")
    [mine] = await _personal(harness)
    other = await instructor(harness, telegram_id=1102, org_name="江夏区总工会")
    for action in ("done", "cancel", "hour"):
        reply = await other.press(RemindCB(reminder_id=mine.id, action=action).pack())
        assert "没有权限" in reply.text
    [still] = await _personal(harness)
    assert still.status is ReminderStatus.pending
    assert still.done_at is None


async def test_a_reminder_one_minute_ahead_is_taken(harness: Harness):
    chat = await instructor(harness)  # 10:00 in Wuhan
    harness.clock.advance(timedelta(seconds=20))  # 10:00:20
    reply = await chat.send("/remind 今天 10:01 打电话")
    assert "已经过去" not in reply.text
    assert "2026-11-24 10:01" in reply.text
    assert "已经过去" in (await chat.send("/remind 今天 10:00 太晚了")).text
