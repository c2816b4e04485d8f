"""Broadcast notices: compose, preview, test to oneself, send at the sender's pace with a
progress message; approval by a second liaison above the limit; a crash mid-way resumes
with nobody missed or messaged twice; blocked recipients are recorded."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from sqlmodel import select

from bot import jobs
from bot.callbacks import BroadcastAct, BroadcastCB
from bot.services import broadcasts
from bot.settings import Settings
from bot.testing import ChatUser, Harness
from bot.testing.client import Reply
from handlers.forms import FormAct, FormCB
from storage.models import Broadcast, BroadcastDelivery, OrgLevel, Role
from storage.uow import UnitOfWork
from tests.conftest import make_settings
from tests.factories import join, make_org

NOTICE = "<b>明天</b> 9:00 开会 & 学习"


@pytest.fixture
def settings(any_db_url: str) -> Settings:
    return make_settings(any_db_url, broadcast_approval_above=5)


async def _union(h: Harness, instructors: int = 4) -> tuple[ChatUser, ChatUser, list[ChatUser]]:
    city = await make_org(h, "武汉市总工会")
    county = await make_org(h, "洪山区总工会", OrgLevel.county, "武汉市总工会")
    author, second = h.user(1001, "王芳"), h.user(1002, "李联络")
    await join(h, author, city, Role.liaison)
    await join(h, second, city, Role.liaison)
    people = []
    for i in range(instructors):
        chat = h.user(2000 + i, f"指导员{i}")
        await join(h, chat, county, Role.instructor)
        people.append(chat)
    return author, second, people


async def _compose(author: ChatUser, text: str = NOTICE, role: str = "指导员") -> str:
    await author.send("/menu")
    await author.click("发通知")
    await author.click("新通知")
    await author.send(text)
    await author.click("武汉市总工会")
    return (await author.click(role)).text


async def _send_to_county(author: ChatUser) -> Reply:
    await author.send("/menu")
    await author.click("发通知")
    await author.click("新通知")
    await author.send(NOTICE)
    await author.click("洪山区总工会")
    await author.click("指导员")
    return await author.click("提交")


async def _deliveries(h: Harness) -> Counter[str]:
    async with UnitOfWork(h.app.db.sessions) as uow:
        rows = (await uow.session.execute(select(BroadcastDelivery))).scalars().all()
        return Counter(r.status for r in rows)


def _notices(chat: ChatUser) -> list[str]:
    return [m.get("text", "") for m in chat.bot_messages() if "📣 通知" in m.get("text", "")]


async def test_compose_test_send_and_progress(harness: Harness):
    author, _, people = await _union(harness)
    harness.telegram.blocked.add(people[0].id)
    preview = await _compose(author)
    assert "将发给 4 人" in preview
    reply = await author.click("先发给我看看")
    assert "<b>明天</b> 9:00 开会 & 学习" in reply.text  # the author's text, not markup
    await author.click("提交")
    assert "正在发送" in author.last_text
    assert "已送达 0" in author.last_text
    # A second tap on the old confirm button sends nothing more.
    reply = await author.click("提交")
    assert "过期" in reply.text

    await jobs.broadcast_tick(harness.app)
    await jobs.broadcast_tick(harness.app)
    assert await _deliveries(harness) == Counter({"sent": 3, "blocked": 1})
    for chat in people[1:]:
        assert len(_notices(chat)) == 1
        assert "<b>明天</b>" in _notices(chat)[0]
    texts = [m.get("text", "") for m in author.bot_messages()]
    assert any("发送完毕：已送达 3，失败 0，已屏蔽机器人 1" in t for t in texts)  # edited
    assert any("通知发送完毕：送达 3 人" in t for t in texts)
    assert "返回菜单" in " ".join(label for label, _ in author.buttons())  # not a dead end
    async with UnitOfWork(harness.app.db.sessions) as uow:
        [broadcast] = (await uow.session.execute(select(Broadcast))).scalars().all()
        assert broadcast.status.value == "done"


async def test_second_liaison_approves_large_audiences(harness: Harness):
    author, second, people = await _union(harness, instructors=6)
    preview = await _compose(author)
    assert "需要另一位联络员批准" in preview
    reply = await author.click("提交")
    assert "已请武汉市总工会的联络员（李联络）批准" in reply.text
    await jobs.broadcast_tick(harness.app)
    assert not any(_notices(p) for p in people)
    assert "要向 6 人发送通知" in second.last_text
    assert (
        "不能批准自己"
        in (await author.press(BroadcastCB(action=BroadcastAct.approve, value=1).pack())).text
    )
    reply = await second.click("批准发送")
    assert "已批准" in reply.text
    assert "正在发送" in author.last_text
    assert (
        "已经批准过了"
        in (await second.press(BroadcastCB(action=BroadcastAct.approve, value=1).pack())).text
    )
    await jobs.broadcast_tick(harness.app)
    assert all(len(_notices(p)) == 1 for p in people)


async def test_only_the_designated_approvers_may_approve(harness: Harness):
    author, second, people = await _union(harness, instructors=6)
    province = await make_org(harness, "湖北省总工会", OrgLevel.province)
    async with UnitOfWork(harness.app.db.sessions) as uow:
        city = await uow.orgs.by_name("武汉市总工会")
        assert city is not None
        city.parent_id = province.id
        await uow.commit()
    above = harness.user(1009, "省联络员")
    await join(harness, above, province, Role.liaison)
    await _compose(author)
    await author.click("提交")
    # A liaison above who was never asked, forging the button: refused, nothing sent.
    reply = await above.press(BroadcastCB(action=BroadcastAct.approve, value=1).pack())
    assert "没有权限" in reply.text
    await jobs.broadcast_tick(harness.app)
    assert not any(_notices(p) for p in people)
    assert "已批准" in (await second.click("批准发送")).text


async def test_with_no_second_liaison_the_union_above_is_asked_or_the_author_told(
    harness: Harness,
):
    city = await make_org(harness, "武汉市总工会")
    county = await make_org(harness, "洪山区总工会", OrgLevel.county, "武汉市总工会")
    author = harness.user(1001, "王芳")
    await join(harness, author, county, Role.liaison)
    people = []
    for i in range(6):
        chat = harness.user(2000 + i, f"指导员{i}")
        await join(harness, chat, county, Role.instructor)
        people.append(chat)
    reply = await _send_to_county(author)
    assert "没有其他联络员可以批准" in reply.text
    assert author.buttons()  # a way back
    async with UnitOfWork(harness.app.db.sessions) as uow:
        [broadcast] = (await uow.session.execute(select(Broadcast))).scalars().all()
    assert broadcast.status.value == "cancelled"
    await jobs.broadcast_tick(harness.app)
    assert not any(_notices(p) for p in people)

    # With a liaison one union up, that liaison is asked.
    upper = harness.user(1005, "市联络员")
    await join(harness, upper, city, Role.liaison)
    reply = await _send_to_county(author)
    assert "已请武汉市总工会的联络员（市联络员）批准" in reply.text
    assert "要向 6 人发送通知" in upper.last_text


async def test_a_crash_mid_broadcast_resumes_without_gaps_or_repeats(harness: Harness):
    author, _, people = await _union(harness)
    await _compose(author)
    await author.click("提交")
    # A process claims two deliveries and dies before sending them.
    async with UnitOfWork(harness.app.db.sessions) as uow:
        lost = await broadcasts.claim(uow, harness.clock.now(), harness.app.settings, 2)
        await uow.commit()
    assert len(lost) == 2
    await jobs.broadcast_tick(harness.app)  # the others go out; the claimed two wait
    assert sum(len(_notices(p)) for p in people) == 2
    harness.clock.advance(timedelta(seconds=harness.app.settings.broadcast_lease_seconds + 1))
    await jobs.broadcast_tick(harness.app)
    assert [len(_notices(p)) for p in people] == [1, 1, 1, 1]
    assert await _deliveries(harness) == Counter({"sent": 4})


async def test_bad_input_and_access(harness: Harness):
    author, _, people = await _union(harness)
    await author.send("/menu")
    await author.click("发通知")
    await author.click("新通知")
    reply = await author.send("字" * (broadcasts.TEXT_MAX + 1))
    assert f"超过了 {broadcasts.TEXT_MAX} 字" in reply.text
    await author.send("只发给联络员")
    await author.click("洪山区总工会")
    reply = await author.click("联络员")
    assert "这个范围内没有成员" in reply.text
    assert "没有可以通知的成员" in (await author.click("提交")).text

    # Instructors and liaisons elsewhere cannot send or approve.
    reply = await people[0].press(BroadcastCB(action=BroadcastAct.new).pack())
    assert "通知内容" not in reply.text
    elsewhere = await make_org(harness, "黄石市总工会")
    outsider = harness.user(1003, "外地联络员")
    await join(harness, outsider, elsewhere, Role.liaison)
    await outsider.send("/menu")
    await outsider.click("发通知")
    await outsider.click("新通知")
    await outsider.send("越权通知")
    assert "武汉市总工会" not in " ".join(label for label, _ in outsider.buttons())
    forged = FormCB(form="bc", action=FormAct.pick, value="1")  # 武汉市总工会, not theirs
    assert "过期" in (await outsider.press(forged.pack())).text
