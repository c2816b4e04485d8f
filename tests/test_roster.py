"""The liaison's roster on the demo data: search, profile warnings, deactivation, the work
file, quotas, and the roster export read back with openpyxl."""

from __future__ import annotations

import io
import re
from datetime import date

from openpyxl import load_workbook
from sqlmodel import select

from bot.callbacks import RosterAct, RosterCB
from bot.services import demo
from bot.testing import Harness
from storage.models import InstructorProfile, OrgLevel, Role
from storage.uow import UnitOfWork
from tests.factories import join, make_org
from tests.flows import statements_to_open


async def _demo(h: Harness) -> None:
    async with UnitOfWork(h.app.db.sessions) as uow:
        await demo.seed(uow, h.clock.now(), h.app.settings)
        # Zhang Hua is 65: past the normal limit within a year, the roster warns.
        profile = (
            await uow.session.execute(
                select(InstructorProfile).where(InstructorProfile.name == "Zhang Hua")
            )
        ).scalar_one()
        profile.birth_date = date(1961, 6, 20)
        await uow.commit()


async def test_roster_person_work_file_and_deactivation(harness: Harness):
    await _demo(harness)
    liaison = harness.user(1001, "王芳")
    await liaison.send("/menu")
    reply = await liaison.click("指导员名册")
    assert "共 2 人" in reply.text
    assert "1 人有需要注意的事项" in reply.text
    reply = await liaison.send("李")
    assert "共 1 人" in reply.text
    reply = await liaison.click("李明")
    assert "13812345678" in reply.text
    reply = await liaison.click("工作档案")
    assert "第 1 轮协商" in reply.text
    assert "发布职工问卷" in reply.text
    # Dates as people read them, never a raw timestamp.
    assert not re.search(r"\d{4}-\d{2}-\d{2}T\d", reply.text)
    assert re.search(r"• 2026-\d{2}-\d{2} ", reply.text)

    await liaison.click("名册")
    await liaison.send("Zhang")
    reply = await liaison.click("Zhang Hua")
    assert "一年内将超过一般任职年龄" in reply.text

    reply = await liaison.click("停用")
    assert "已停用" in reply.text
    instructor = harness.user(1102, "Zhang Hua", "en")
    reply = await instructor.send("/menu")
    assert "deactivated" in reply.text
    assert (
        "已经停用"
        in (await liaison.press(RosterCB(action=RosterAct.off, user_id=3, page=0).pack())).text
    )  # Zhang Hua again
    await liaison.click("恢复启用")
    reply = await instructor.send("/menu")
    assert "Trainings" in " ".join(label for label, _ in instructor.buttons())
    assert not harness.telegram.errors()


async def test_quotas_export_and_access(harness: Harness):
    await _demo(harness)
    liaison = harness.user(1001, "王芳")
    await liaison.send("/menu")
    await liaison.click("指导员名册")
    reply = await liaison.click("配备情况")
    assert "武汉市总工会：0 人（要求 不少于 3 人），缺 3 人" in reply.text
    assert "洪山区总工会：2 人（要求 不少于 3 人），缺 1 人" in reply.text

    await liaison.click("名册")
    exported = await liaison.click("导出名册")
    # One line says it is being made, is edited when it is made, then the file follows.
    said = [(c.method, c.params.get("text") or c.params.get("caption")) for c in exported.calls
            if c.method in ("sendMessage", "editMessageText", "sendDocument")]  # fmt: skip
    assert said == [
        ("sendMessage", "正在生成名册（2 人）……"),
        ("editMessageText", "✅ 名册已生成（2 人），文件马上发到。"),
        ("sendDocument", said[-1][1]),
    ]
    sent = liaison.last_file("document")
    assert sent.name.startswith("指导员名册-")
    book = load_workbook(io.BytesIO(sent.content))
    people = list(book["指导员名册"].iter_rows(values_only=True))
    assert people[0][:3] == ("序号", "姓名", "出生日期")
    assert {row[1] for row in people[1:]} == {"李明", "Zhang Hua"}
    assert len(book["配备情况"]._charts) == 1
    # Printed: a page wide, the header on every page, the chart below the table.
    sheet = book["指导员名册"]
    assert sheet.sheet_properties.pageSetUpPr.fitToPage
    assert (sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight) == (1, 0)
    assert sheet.print_title_rows == "$1:$1"
    quotas = book["配备情况"]
    anchor = quotas._charts[0].anchor._from
    assert (anchor.col, anchor.row) == (
        0,
        quotas.max_row + 1,
    )  # column A, a blank row under the table

    # A liaison of another union sees none of it.
    elsewhere = await make_org(harness, "黄石市总工会", OrgLevel.city)
    outsider = harness.user(1009, "外地联络员")
    await join(harness, outsider, elsewhere, Role.liaison)
    assert (
        "没有权限"
        in (await outsider.press(RosterCB(action=RosterAct.person, user_id=2, page=0).pack())).text
    )
    assert (
        "没有权限"
        in (await outsider.press(RosterCB(action=RosterAct.off, user_id=2, page=0).pack())).text
    )
    assert (
        "没有权限"
        in (await outsider.press(RosterCB(action=RosterAct.file, user_id=2, page=0).pack())).text
    )


async def test_the_roster_costs_the_same_statements_for_many_instructors(harness: Harness):
    """No query per instructor: the profiles come with the instructors, in one query."""
    from storage.models import Org

    await _demo(harness)
    liaison = harness.user(1001, "王芳")

    async def statements() -> int:
        return await statements_to_open(harness, liaison, "指导员名册")

    await statements()  # the conversation's state is made once, the first time
    few = await statements()
    async with UnitOfWork(harness.app.db.sessions) as uow:
        county = (
            await uow.session.execute(select(Org).where(Org.name == "洪山区总工会"))
        ).scalar_one()
    for telegram_id in range(2000, 2015):
        await join(
            harness, harness.user(telegram_id, f"指导员{telegram_id}"), county, Role.instructor
        )
    many = await statements()
    assert many == few, (few, many)
    assert "共 17 人" in liaison.last_text
    assert "第 1/2 页" in liaison.last_text  # ten a page, counted and paged in SQL
    reply = await liaison.click("➡️")
    assert "第 2/2 页" in reply.text
    people = [data for _, data in liaison.buttons() if data.startswith("rs:person:")]
    assert len(people) == 7
    reply = await liaison.send("2014")  # a search filters in SQL too
    assert "共 1 人" in reply.text
