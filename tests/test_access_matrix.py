"""The access matrix: every screen that shows case, survey, training or people data, pressed
as every role (stranger or worker, the case's instructor, another instructor, a liaison of
another union, the liaison of the right union). Each must show its data exactly to the
roles allowed, and refuse everyone else without showing any of it."""

from __future__ import annotations

import io
from dataclasses import dataclass

from docx import Document
from openpyxl import load_workbook

from bot.callbacks import BroadcastAct, BroadcastCB, RosterAct, RosterCB
from bot.services import demo
from bot.testing import ChatUser, Harness
from storage.models import OrgLevel, Role
from storage.uow import UnitOfWork
from tests.factories import join, make_org

OWNER, COLLEAGUE, STRANGER, OUTSIDER, LIAISON = (
    "owner",
    "colleague",
    "stranger",
    "outsider",
    "liaison",
)
ROLES = (OWNER, COLLEAGUE, STRANGER, OUTSIDER, LIAISON)


@dataclass(frozen=True)
class Screen:
    data: str  # callback data as a button would carry it
    marker: str  # text only someone allowed may see
    allowed: frozenset[str]
    document: bool = False  # the screen sends a file: the marker is looked for inside it


CASE_TEAM = frozenset({OWNER, LIAISON})
MATRIX = (
    Screen("c:1", "光谷电子有限公司", CASE_TEAM),
    Screen("tp:1:", "劳动报酬", CASE_TEAM),
    Screen("tl:1", "时间线", CASE_TEAM),
    Screen("rv:1:", "协商代表", CASE_TEAM),
    Screen("sl:1", "进行中", CASE_TEAM),
    Screen("sv:1:", "职工意见调查", CASE_TEAM),
    Screen("sv:1:results", "问卷结果", CASE_TEAM),
    Screen("sv:1:export", "劳动报酬", CASE_TEAM, document=True),
    Screen("dl:1", "文书", CASE_TEAM),
    Screen("ck:1:0", "履约监督检查", CASE_TEAM),
    Screen("tr:1::0", "工资集体协商模拟演练", frozenset({OWNER, COLLEAGUE, LIAISON})),
    Screen(
        RosterCB(action=RosterAct.person, user_id=2, page=0).pack(),
        "13812345678",
        frozenset({LIAISON}),
    ),
    Screen(
        RosterCB(action=RosterAct.file, user_id=2, page=0).pack(), "工作档案", frozenset({LIAISON})
    ),
    # Any liaison may export their own subtree; the outsider's holds none of this data.
    Screen("ae:export:0:0", "李明", frozenset({LIAISON}), document=True),
    Screen(
        RosterCB(action=RosterAct.export, user_id=0, page=0).pack(),
        "李明",
        frozenset({LIAISON}),
        document=True,
    ),
    # Changes: only the case's instructor; a notice: any liaison, to their own subtree.
    Screen("tp:1:menu", "选择要添加的议题", frozenset({OWNER})),
    Screen("dn:1:offer", "项已从记录中填好", frozenset({OWNER})),
    Screen("sv:1:preview", "不会保存任何答案", frozenset({OWNER})),
    Screen("rl:1:1", "1/10", frozenset({OWNER})),
    Screen(
        BroadcastCB(action=BroadcastAct.new).pack(),
        "请输入通知内容",
        frozenset({LIAISON, OUTSIDER}),
    ),
)


async def _people(h: Harness) -> dict[str, ChatUser]:
    async with UnitOfWork(h.app.db.sessions) as uow:
        await demo.seed(uow, h.clock.now(), h.app.settings)
        await uow.commit()
    elsewhere = await make_org(h, "黄石市总工会", OrgLevel.city)
    outsider = h.user(1009, "外地联络员")
    await join(h, outsider, elsewhere, Role.liaison)
    people = {
        OWNER: h.user(1101, "李明"),
        COLLEAGUE: h.user(1102, "Zhang Hua"),  # same union, the case is not theirs
        STRANGER: h.user(1201, "职工小陈"),
        OUTSIDER: outsider,
        LIAISON: h.user(1001, "王芳"),
    }
    for chat in people.values():
        await chat.send("/start")
    return people


def _files(chat: ChatUser) -> int:
    return sum(1 for m in chat.bot_messages() if m.get("document"))


def _file_text(content: bytes) -> str:
    """Every cell of a workbook, or every paragraph of a Word file."""
    if content.startswith(b"PK") and b"xl/" in content[:2000]:
        book = load_workbook(io.BytesIO(content))
        return " ".join(
            str(cell) for sheet in book for row in sheet.iter_rows(values_only=True) for cell in row
        )
    return " ".join(p.text for p in Document(io.BytesIO(content)).paragraphs)


async def test_every_screen_for_every_role(harness: Harness):
    people = await _people(harness)
    wrong = []
    for screen in MATRIX:
        for role in ROLES:
            chat = people[role]
            files = _files(chat)
            reply = await chat.press(screen.data)
            assert reply.answered_callback(), (screen.data, role)
            assert not reply.errors, (screen.data, role, reply.errors)
            if screen.document:
                shown = _files(chat) > files and screen.marker in _file_text(
                    chat.last_file("document").content
                )
            else:
                shown = screen.marker in reply.text
            if shown != (role in screen.allowed):
                wrong.append(f"{screen.data} as {role}: {'shown' if shown else 'refused'}")
    assert wrong == [], "\n".join(wrong)
