"""The clause tracker: Art. 8 topics and custom ones, statuses and positions with history,
read-only for liaisons, closed to others."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook
from sqlmodel import select

from bot.callbacks import ClauseAct, ClauseCB, EditCB, TopicCB, TopicsCB
from bot.services.topics import Side, Source
from bot.settings import Settings
from bot.testing import Harness
from storage.models import BargainingCase, CaseTopic, Role, TopicEvent, TopicStatus
from storage.uow import UnitOfWork
from tests.conftest import make_settings
from tests.factories import join
from tests.flows import add_representative, instructor, open_case, register_enterprise


@pytest.fixture
def settings(any_db_url: str) -> Settings:
    """These flows run on SQLite and on PostgreSQL."""
    return make_settings(any_db_url)


async def _rows(h: Harness, model):
    async with UnitOfWork(h.app.db.sessions) as uow:
        return list((await uow.session.execute(select(model))).scalars().all())


async def test_tracker_end_to_end(harness: Harness):
    chat = await instructor(harness)
    await register_enterprise(chat)
    await open_case(chat)
    reply = await chat.click("📋 议题")
    assert "还没有议题" in reply.text
    await chat.click("添加议题")
    # A wage case negotiates the wage contract's six sections (Art. 9), custom ones, back.
    assert [label for label, _ in chat.buttons()][:6] == [
        "劳动报酬",
        "工资支付办法",
        "加班工资、津贴补贴和奖金",
        "工资调整办法",
        "试用期及病事假等期间工资",
        "特殊情况下的工资支付",
    ]
    assert len(chat.buttons()) == 6 + 2
    reply = await chat.click("劳动报酬")
    assert "⚪ 劳动报酬 · 已提出" in reply.text
    await chat.click("添加议题")
    assert "劳动报酬" not in [label for label, _ in chat.buttons()]
    await chat.click("自定义议题")
    assert "2 到 50" in (await chat.send("x")).text
    reply = await chat.send("高温津贴 <夏季>")
    assert "高温津贴 <夏季>" in reply.text

    await chat.click("⚪ 劳动报酬")
    await chat.click("我方文本")
    await chat.send("一线职工工资增长不低于 6%")
    await chat.click("对方文本")
    await chat.send("最多 3%")
    # A tentative agreement stands on both chiefs' sign-off: they must be registered.
    assert "还没有登记双方的首席代表" in (await chat.click("暂时一致")).text
    await chat.send("/menu")
    await chat.click("我的案件")
    await chat.click("光谷电子有限公司")
    await chat.click("更多")
    await chat.click("👥 代表")
    await add_representative(chat, "workers", "王工", chief=True)
    await add_representative(chat, "employer", "刘总", chief=True)
    await chat.send("/menu")
    await chat.click("我的案件")
    await chat.click("光谷电子有限公司")
    await chat.click("📋 议题")
    await chat.click("劳动报酬")
    reply = await chat.click("暂时一致")
    assert "职工方 王工、企业方 刘总" in reply.text
    reply = await chat.click("双方首席代表已签字确认")
    assert "🔵 <b>" not in reply.text  # HTML shown as formatting, not as text
    assert "双方首席代表 王工、刘总 签字确认" in reply.text
    assert "一线职工工资增长不低于 6%" in reply.text
    assert "变化记录" in reply.text
    reply = await chat.click("议题列表")
    assert "🔵 劳动报酬 · 暂时一致" in reply.text

    # The ledger: every pass and the sign-off, as a workbook.
    await chat.click("议价台账")
    ledger = chat.last_file("document")
    rows = list(load_workbook(io.BytesIO(ledger.content)).active.iter_rows(values_only=True))
    assert rows[0] == ("轮次", "时间", "议题", "一方", "文本", "状态", "记录人")
    sides = [(row[2], row[3], row[4]) for row in rows[1:]]
    assert ("劳动报酬", "职工方提出", "一线职工工资增长不低于 6%") in sides
    assert ("劳动报酬", "企业方提出", "最多 3%") in sides
    assert ("劳动报酬", "首席签字（初步一致）", "王工、刘总") in sides

    [pay] = [t for t in await _rows(harness, CaseTopic) if t.key == "pay"]
    assert pay.status is TopicStatus.tentative
    assert pay.ta_chiefs == "王工、刘总"
    assert pay.ta_at is not None
    assert pay.our_demand == "一线职工工资增长不低于 6%"
    assert pay.their_position == "最多 3%"
    history = [e for e in await _rows(harness, TopicEvent) if e.topic_id == pay.id]
    assert [e.status for e in history] == [
        TopicStatus.proposed,
        TopicStatus.proposed,
        TopicStatus.countered,  # their text is a counter
        TopicStatus.tentative,
    ]
    assert not harness.telegram.errors()


async def test_tracker_access(harness: Harness):
    chat = await instructor(harness)
    await register_enterprise(chat)
    await open_case(chat)
    await chat.click("📋 议题")
    await chat.click("添加议题")
    await chat.click("工资支付办法")
    [case] = await _rows(harness, BargainingCase)
    [topic] = await _rows(harness, CaseTopic)

    async with UnitOfWork(harness.app.db.sessions) as uow:
        org = await uow.orgs.by_name("洪山区总工会")
    assert org is not None
    liaison = harness.user(1001)
    await join(harness, liaison, org, Role.liaison)
    topic_id = topic.id or 0
    reply = await liaison.press(TopicsCB(case_id=case.id or 0).pack())
    assert "工资支付办法" in reply.text
    assert "添加议题" not in [label for label, _ in liaison.buttons()]
    # A liaison reads; the buttons that change a topic are an instructor's and refused.
    forged = [
        TopicCB(topic_id=topic_id, status="countered"),
        ClauseCB(topic_id=topic_id, act=ClauseAct.agreed, source=Source.ours),
        EditCB(topic_id=topic_id, side=Side.ours),
        TopicsCB(case_id=case.id or 0, add="pay"),
    ]
    for data in forged:
        assert "按钮已经过期" in (await liaison.press(data.pack())).text

    stranger_instructor = harness.user(1102)
    await join(harness, stranger_instructor, org, Role.instructor)
    reply = await stranger_instructor.press(TopicsCB(case_id=case.id or 0).pack())
    assert "没有权限" in reply.text
    for data in forged:
        assert "没有权限" in (await stranger_instructor.press(data.pack())).text
    [topic] = await _rows(harness, CaseTopic)
    assert topic.status is TopicStatus.proposed
    assert len(await _rows(harness, CaseTopic)) == 1


async def test_several_topics_passed_as_one_package(harness: Harness):
    from bot.callbacks import PackageCB
    from handlers.forms import FormAct, FormCB
    from storage.models import TopicPackage

    chat = await instructor(harness)
    await register_enterprise(chat)
    await open_case(chat)
    await chat.click("📋 议题")
    await chat.click("添加议题")
    await chat.click("劳动报酬")
    # One topic on the table: no package to make yet.
    assert "一揽子提议" not in " ".join(label for label, _ in chat.buttons())
    await chat.click("添加议题")
    await chat.click("工资调整办法")
    await chat.click("添加议题")
    await chat.click("工资支付办法")
    await chat.click("一揽子提议")
    await chat.click("企业方提出")
    await chat.click("▫️ 劳动报酬")
    assert "至少包含 2 个议题" in (await chat.click("完成（已选")).text
    await chat.click("▫️ 工资调整办法")
    await chat.click("完成（已选")
    await chat.send("增长 3%，以取消年中调整为条件")
    review = chat.last_text
    assert "企业方提出" in review
    assert "劳动报酬、工资调整办法" in review
    assert "已记录" in (await chat.click("提交")).text
    [package] = await _rows(harness, TopicPackage)
    assert package.side == "theirs"
    assert len(package.topic_ids) == 2
    assert package.note == "增长 3%，以取消年中调整为条件"

    # A forged topic (another case's, or none) is refused at the tick and at the submit.
    await chat.click("一揽子提议")
    await chat.click("职工方提出")
    forged = FormCB(form="pk", action=FormAct.tick, value="999")
    await chat.press(forged.pack())
    await chat.click("▫️ 劳动报酬")
    reply = await chat.click("完成（已选")
    assert "至少包含 2 个议题" in reply.text
    await chat.send("/cancel")

    # In the ledger, the package is a row of its own with its topics and terms.
    await chat.send("/menu")
    await chat.click("我的案件")
    await chat.click("光谷电子有限公司")
    await chat.click("📋 议题")
    await chat.click("议价台账")
    ledger = chat.last_file("document")
    rows = list(load_workbook(io.BytesIO(ledger.content)).active.iter_rows(values_only=True))
    assert ("劳动报酬、工资调整办法", "企业方一揽子提议", "增长 3%，以取消年中调整为条件") in [
        (row[2], row[3], row[4]) for row in rows[1:]
    ]
    # Another instructor cannot make one on this case.
    other = await instructor(harness, telegram_id=1199, org_name="武昌区总工会")
    [case] = await _rows(harness, BargainingCase)
    reply = await other.press(PackageCB(case_id=case.id).pack())
    assert "没有权限" in reply.text
