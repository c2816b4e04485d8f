"""Steps shared by the transcript tests: a member who joined, an enterprise registered, a case
opened, representatives added, a case that got its reply; rows read back."""

from __future__ import annotations

from sqlalchemy import event
from sqlmodel import select

from bot.testing import ChatUser, Harness
from storage.models import Role
from storage.uow import UnitOfWork
from tests.factories import join, make_org

CODE = "9144030071526726XG"


async def open_case(chat: ChatUser) -> None:
    await chat.send("/menu")
    await chat.click("查找企业")
    await chat.send("光谷")
    await chat.click("光谷电子有限公司")
    await chat.click("新建案件")
    await chat.click("工资专项集体合同")
    await chat.click("2026")


async def table_rows(h: Harness, model):
    async with UnitOfWork(h.app.db.sessions) as uow:
        return list((await uow.session.execute(select(model))).scalars().all())


async def register_enterprise(
    chat: ChatUser, name: str = "光谷电子有限公司", code: str = CODE
) -> None:
    await chat.send("/menu")
    await chat.click("登记企业")
    await chat.send(name)
    await chat.send(code)
    await chat.send("电子制造")
    await chat.send("1200")
    await chat.send("300")
    await chat.click("是")
    await chat.send("武汉市洪山区光谷大道 1 号")
    await chat.send("刘主席 13800000000")
    await chat.click("提交")


async def instructor(
    h: Harness, telegram_id: int = 1101, org_name: str = "洪山区总工会"
) -> ChatUser:
    org = await make_org(h, org_name)
    chat = h.user(telegram_id, "李明")
    await join(h, chat, org, Role.instructor)
    return chat


async def add_representative(
    chat: ChatUser,
    side: str,
    name: str,
    chief: bool = False,
    expert: bool = False,
    woman: bool = False,
) -> str:
    await chat.click("➕ 职工方代表" if side == "workers" else "➕ 企业方代表")
    await chat.send(name)
    await chat.click("跳过")
    for flag in (chief, expert, woman):
        await chat.click("是" if flag else "否")
    reply = await chat.click("提交")
    return reply.text


async def case_with_reply(h: Harness) -> ChatUser:
    chat = await instructor(h)
    await register_enterprise(chat)
    await open_case(chat)
    await chat.click("发出要约")
    await chat.send("2026-11-10")
    await chat.click("收到回应")
    await chat.send("2026-11-20")
    return chat


async def meeting_at_attendance(
    h: Harness, workers: tuple[str, ...], chief: str = ""
) -> tuple[ChatUser, str]:
    """A case that got its reply, with these workers' representatives registered (`chief`
    the chief), and a meeting log at its attendance step; the chat and that step's text."""
    chat = await case_with_reply(h)
    await chat.send("/menu")
    await chat.click("我的案件")
    await chat.click("光谷电子有限公司")
    await chat.click("更多")  # the card's second page
    await chat.click("👥 代表")
    for name in workers:
        await add_representative(chat, "workers", name, chief=name == chief)
    await chat.click("返回案件")
    await chat.click("记录协商会议")
    await chat.click("今天 9:00")
    reply = await chat.send("公司三楼会议室")
    return chat, reply.text


async def statements_to_open(h: Harness, chat: ChatUser, button: str) -> int:
    """How many SQL statements opening a screen from the menu costs (for O(page) checks)."""
    seen: list[object] = []

    def count(*args: object) -> None:
        seen.append(args[2])

    engine = h.app.db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        await chat.send("/menu")
        await chat.click(button)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return len(seen)
