"""Representatives: added one by one per side, the legal rules explained until they hold."""

from __future__ import annotations

import pytest
from sqlmodel import select

from bot.callbacks import RepRemoveCB, RepsCB
from bot.settings import Settings
from bot.testing import Harness
from storage.models import BargainingCase, CaseRepresentative
from storage.uow import UnitOfWork
from tests.conftest import make_settings
from tests.flows import add_representative, instructor, open_case, register_enterprise


@pytest.fixture
def settings(any_db_url: str) -> Settings:
    """These flows run on SQLite and on PostgreSQL."""
    return make_settings(any_db_url)


async def test_line_up_rules_are_explained_until_they_hold(harness: Harness):
    chat = await instructor(harness)
    await register_enterprise(chat)  # 1200 staff, 300 women: exactly 1/4, so a woman is needed
    await open_case(chat)
    await chat.click("更多")  # the card's second page
    reply = await chat.click("👥 代表")
    assert "职工方代表不足 3 人" in reply.text
    assert "应有女职工代表" in reply.text

    text = await add_representative(chat, "workers", "王工", chief=True, expert=True)
    assert "首席代表不能由外聘专家担任" in text
    reply = await chat.click("✖️ 职工方 王工")
    assert "确定把职工方代表 王工 从名单中删除吗" in reply.text
    await chat.click("确认删除")
    await add_representative(chat, "workers", "王工", chief=True)
    await add_representative(chat, "workers", "李工", woman=True)
    await add_representative(chat, "workers", "赵专家", expert=True)
    for name, chief in (("刘总", True), ("陈经理", False)):
        text = await add_representative(chat, "employer", name, chief=chief)
    assert "双方代表人数应当相等" in text
    assert "这一方已经有" in await add_representative(chat, "employer", "刘总")
    await chat.click("取消")  # the refused review stays until left; back to the list
    await chat.click("返回案件")
    await chat.click("更多")
    await chat.click("👥 代表")

    text = await add_representative(chat, "employer", "周主管")
    assert "符合规定" in text
    assert not harness.telegram.errors()

    members = await _members(harness)
    assert len(members) == 6
    assert sum(m.chief for m in members) == 2


async def _members(h: Harness) -> list[CaseRepresentative]:
    async with UnitOfWork(h.app.db.sessions) as uow:
        return list((await uow.session.execute(select(CaseRepresentative))).scalars().all())


async def test_only_the_owner_changes_the_line_up(harness: Harness):
    chat = await instructor(harness)
    await register_enterprise(chat)
    await open_case(chat)
    await chat.click("更多")  # the card's second page
    await chat.click("👥 代表")
    await add_representative(chat, "workers", "王工", chief=True)
    async with UnitOfWork(harness.app.db.sessions) as uow:
        [case] = (await uow.session.execute(select(BargainingCase))).scalars().all()
        [member] = (await uow.session.execute(select(CaseRepresentative))).scalars().all()
        org = await uow.orgs.by_name("洪山区总工会")
    other = harness.user(1102)
    from storage.models import Role
    from tests.factories import join

    assert org is not None
    await join(harness, other, org, Role.instructor)
    assert "没有权限" in (await other.press(RepsCB(case_id=case.id).pack())).text
    remove = RepRemoveCB(representative_id=member.id or 0).pack()
    assert "没有权限" in (await other.press(remove)).text
    add = RepsCB(case_id=case.id, add="workers").pack()
    assert "没有权限" in (await other.press(add)).text
    assert len(await _members(harness)) == 1
