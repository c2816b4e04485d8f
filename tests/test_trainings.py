"""Trainings end to end: a liaison schedules one, invitations and reminders arrive once,
instructors answer and check in during the session, the liaison marks attendance, and
hours are tallied per instructor for the year."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from bot import jobs
from bot.callbacks import TrainingAct, TrainingCB
from bot.testing import ChatUser, Harness
from storage.models import OrgLevel, Reminder, ReminderStatus, Role, TrainingInvite
from storage.uow import UnitOfWork
from tests.factories import join, make_org


async def _people(h: Harness) -> tuple[ChatUser, ChatUser, ChatUser, ChatUser]:
    city = await make_org(h, "武汉市总工会")
    county = await make_org(h, "洪山区总工会", OrgLevel.county, "武汉市总工会")
    elsewhere = await make_org(h, "黄石市总工会")
    liaison = h.user(1001, "王芳")
    await join(h, liaison, city, Role.liaison)
    a, b, far = h.user(1101, "李明"), h.user(1102, "张华"), h.user(1201, "外地指导员")
    await join(h, a, county, Role.instructor)
    await join(h, b, county, Role.instructor)
    await join(h, far, elsewhere, Role.instructor)
    return liaison, a, b, far


async def _schedule(liaison: ChatUser, audience: str = "全部指导员") -> str:
    await liaison.send("/menu")
    await liaison.click("🎓 培训")
    await liaison.click("安排培训")
    await liaison.click("模拟协商")
    await liaison.send("工资集体协商模拟 & <实操>")
    assert "已经过去" in (await liaison.send("2020-01-01 9:00")).text
    await liaison.send("2026-12-01 9:00")
    assert "0.5 到 40" in (await liaison.send("100")).text
    await liaison.send("3")
    await liaison.send("洪山区总工会三楼会议室")
    reply = await liaison.click(audience)
    return reply.text


async def _calls(h: Harness) -> list[Reminder]:
    async with UnitOfWork(h.app.db.sessions) as uow:
        found = await uow.session.execute(select(Reminder).where(Reminder.kind == "training_call"))
        return list(found.scalars().all())


async def test_training_from_invitation_to_hours(harness: Harness):
    liaison, a, b, far = await _people(harness)
    review = await _schedule(liaison)
    assert "工资集体协商模拟 & <实操>" in review
    reply = await liaison.click("提交")
    assert "2 名指导员" in reply.text

    await jobs.reminder_tick(harness.app)
    for chat in (a, b):
        assert "培训邀请" in chat.last_text
        assert [label for label, _ in chat.buttons()] == ["✅ 参加", "✖️ 不能参加"]
    assert "培训邀请" not in "".join(m.get("text", "") for m in far.bot_messages())
    assert (await jobs.reminder_tick(harness.app)).sent == 0  # once only

    assert "已回复参加" in (await a.click("✅ 参加")).text
    assert "不会再收到" in (await b.click("✖️ 不能参加")).text
    pending = [r for r in await _calls(harness) if r.status is ReminderStatus.pending]
    assert len(pending) == 3  # a's day-before, hour-before and check-in calls only

    assert (
        "只能在培训期间签到"
        in (await a.press(TrainingCB(training_id=1, action=TrainingAct.checkin).pack())).text
    )
    # Nor can the organiser mark anyone present days before: the hours would count now.
    await liaison.send("/menu")
    await liaison.click("🎓 培训")
    await liaison.click("工资集体协商模拟")
    reply = await liaison.click("▫️ 李明")
    assert "开始后才能登记出席" in reply.text
    async with UnitOfWork(harness.app.db.sessions) as uow:
        invites = (await uow.session.execute(select(TrainingInvite))).scalars().all()
    assert all(invite.checked_in_at is None for invite in invites)

    harness.clock.advance(timedelta(days=6))  # 2026-11-30 10:00 in Wuhan
    await jobs.reminder_tick(harness.app)
    assert "培训即将开始" in a.last_text
    assert "培训即将开始" not in b.last_text

    harness.clock.advance(timedelta(hours=23))  # 09:00 on the day
    await jobs.reminder_tick(harness.app)
    assert "培训开始了" in a.last_text
    reply = await a.click("📍 签到")
    assert "已签到" in reply.text
    assert "3 学时" in reply.text

    # The organiser sees the answers, marks b present, then takes it back.
    await liaison.send("/menu")
    await liaison.click("🎓 培训")
    reply = await liaison.click("工资集体协商模拟")
    assert "参加 1 · 不能参加 1 · 未回复 0 · 已出席 1" in reply.text
    await liaison.click("▫️ 张华")
    assert "已出席 2" in liaison.last_text
    await liaison.click("✅ 张华")
    assert "已出席 1" in liaison.last_text
    await liaison.click("培训列表")
    reply = await liaison.click("学时统计")
    assert "李明：3 学时" in reply.text
    assert "张华：0 学时" in reply.text

    await a.send("/menu")
    reply = await a.click("🎓 培训")
    assert "2026 年已参加培训 3 学时" in reply.text
    assert not harness.telegram.errors()


async def test_named_invitees_and_access(harness: Harness):
    liaison, a, b, far = await _people(harness)
    await _schedule(liaison, "点选指导员")
    await liaison.click("提交")
    assert "已选 0 人" in liaison.last_text
    assert "至少选择一人" in (await liaison.click("发送邀请")).text
    await liaison.click("▫️ 李明")
    reply = await liaison.click("发送邀请（1 人）")
    assert "1 名指导员" in reply.text
    await jobs.reminder_tick(harness.app)
    assert "培训邀请" in a.last_text
    assert "培训邀请" not in "".join(m.get("text", "") for m in b.bot_messages())

    # Not invited, not the organiser's area, not a liaison: refused.
    assert (
        "没有权限"
        in (await b.press(TrainingCB(training_id=1, action=TrainingAct.attend).pack())).text
    )
    assert (
        "没有权限"
        in (await far.press(TrainingCB(training_id=1, action=TrainingAct.checkin).pack())).text
    )
    other = harness.user(1002, "黄石联络员")
    elsewhere = next(o for o in await _orgs(harness) if o.name == "黄石市总工会")
    await join(harness, other, elsewhere, Role.liaison)
    assert "没有权限" in (await other.press(TrainingCB(training_id=1).pack())).text
    reply = await a.press(TrainingCB(action=TrainingAct.new).pack())
    assert "安排培训" not in reply.text


async def _orgs(h: Harness):
    from storage.models import Org

    async with UnitOfWork(h.app.db.sessions) as uow:
        return list((await uow.session.execute(select(Org))).scalars().all())
