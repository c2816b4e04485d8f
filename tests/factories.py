"""Small factories: unions, invites and members made through the services."""

from __future__ import annotations

from bot.services import invites, orgs
from bot.testing import ChatUser, Harness
from storage.models import Org, OrgLevel, Role, User
from storage.uow import UnitOfWork


async def make_org(
    h: Harness, name: str, level: OrgLevel = OrgLevel.city, parent: str | None = None
) -> Org:
    async with UnitOfWork(h.app.db.sessions) as uow:
        org = await orgs.add_org(uow, name, level, parent, h.clock.now())
        await uow.commit()
        return org


async def make_code(h: Harness, org: Org, role: Role) -> str:
    async with UnitOfWork(h.app.db.sessions) as uow:
        made = await invites.create(uow, org, role, h.clock.now(), h.app.settings)
        await uow.commit()
        return made.code


async def user_row(h: Harness, telegram_id: int) -> User | None:
    async with UnitOfWork(h.app.db.sessions) as uow:
        return await uow.users.by_telegram_id(telegram_id)


async def join(h: Harness, chat: ChatUser, org: Org, role: Role) -> None:
    code = await make_code(h, org, role)
    await chat.send(f"/start {code}")
    if role is Role.instructor:
        await chat.send("/cancel")


async def fill_profile(chat: ChatUser, birth: str = "1970-03-15", name: str = "李明") -> None:
    await chat.send(name)
    await chat.send("13812345678")
    await chat.send(birth)
    await chat.click("直接聘用")
    await chat.send("HB-2024-001")
    await chat.send("洪山区电子行业")
