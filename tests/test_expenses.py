"""Work expenses: recorded with a receipt photo and validated amounts and dates, approved
or returned with a reason by the liaison, totals per month, the audit export."""

from __future__ import annotations

import io

from openpyxl import load_workbook

from bot.callbacks import ExpenseAct, ExpenseCB
from bot.testing import ChatUser, Harness
from storage.models import OrgLevel, Role
from tests.factories import join, make_org


async def _people(h: Harness) -> tuple[ChatUser, ChatUser]:
    city = await make_org(h, "武汉市总工会")
    county = await make_org(h, "洪山区总工会", OrgLevel.county, "武汉市总工会")
    liaison, instructor = h.user(1001, "王芳"), h.user(1101, "李明")
    await join(h, liaison, city, Role.liaison)
    await join(h, instructor, county, Role.instructor)
    return liaison, instructor


async def _record(chat: ChatUser, amount: str, note: str | None, photo: bool) -> str:
    await chat.send("/menu")
    await chat.click("工作经费")
    await chat.click("记一笔")
    await chat.click("交通费")
    await chat.send(amount)
    await chat.send("2026-11-20")
    if note is None:
        await chat.click("跳过")
    else:
        await chat.send(note)
    if photo:
        await chat.send_photo()
    else:
        await chat.click("跳过")
    return (await chat.click("提交")).text


async def test_record_review_and_export(harness: Harness):
    liaison, instructor = await _people(harness)
    await instructor.send("/menu")
    await instructor.click("工作经费")
    await instructor.click("记一笔")
    await instructor.click("伙食费")
    for bad in ("-5", "0", "很多", "100000.01", "12.345"):
        assert "大于 0" in (await instructor.send(bad)).text
    await instructor.send("１２８．５元")
    assert "今天之后" in (await instructor.send("2026-12-01")).text
    assert "没看懂这个日期" in (await instructor.send("2026-02-30")).text
    assert "一年以内" in (await instructor.send("2024-01-01")).text
    await instructor.send("2026-11-23")
    await instructor.send("调研午餐 & <发票>")
    assert "照片" in (await instructor.send_document("receipt.pdf")).text  # not an image
    await instructor.send_photo()
    reply = await instructor.click("提交")
    assert "已记录 128.50 元" in reply.text
    await _record(instructor, "36", None, False)

    await liaison.send("/menu")
    reply = await liaison.click("经费审核")
    assert "2 笔待审核" in reply.text
    reply = await liaison.click("伙食费")
    assert "调研午餐 & <发票>" in reply.text
    assert liaison.last_file("photo")
    await liaison.click("批准")
    assert "128.50 元已批准" in instructor.last_text
    assert (
        "已经审核过了"
        in (await liaison.press(ExpenseCB(action=ExpenseAct.approve, expense_id=1).pack())).text
    )

    await liaison.send("/menu")
    await liaison.click("经费审核")
    await liaison.click("交通费")
    await liaison.click("退回")
    await liaison.send("缺少票据")
    assert "被退回：缺少票据" in instructor.last_text

    await instructor.send("/menu")
    reply = await instructor.click("工作经费")
    # The returned item is not claimed: it counts in no total.
    assert "2026-11：1 笔，共 128.50 元（已批准 128.50 元）" in reply.text
    assert "退回：缺少票据" in reply.text

    await liaison.send("/menu")
    await liaison.click("经费审核")
    exported = await liaison.click("导出全年经费")
    said = [str(c.params.get("text")) for c in exported.calls if "Message" in c.method]
    assert "正在生成本年度经费明细" in said[0]
    assert "✅ 经费明细已生成" in said[1]
    book = load_workbook(io.BytesIO(liaison.last_file("document").content))
    lines = list(book["经费明细"].iter_rows(min_row=2, values_only=True))
    assert sorted(row[3] for row in lines) == [36, 128.5]
    [summary] = list(book["按人汇总"].iter_rows(min_row=2, values_only=True))
    assert summary == ("李明", 128.5, 128.5)
    assert not harness.telegram.errors()


async def test_access(harness: Harness):
    _, instructor = await _people(harness)
    await _record(instructor, "50", "打车", False)
    other = harness.user(1102, "张华")
    county = await make_org(harness, "江夏区总工会", OrgLevel.county, "武汉市总工会")
    await join(harness, other, county, Role.instructor)
    assert (
        "没有权限"
        in (await other.press(ExpenseCB(action=ExpenseAct.show, expense_id=1).pack())).text
    )
    elsewhere = await make_org(harness, "黄石市总工会")
    outsider = harness.user(1009, "外地联络员")
    await join(harness, outsider, elsewhere, Role.liaison)
    assert (
        "没有权限"
        in (await outsider.press(ExpenseCB(action=ExpenseAct.approve, expense_id=1).pack())).text
    )
    assert (
        "打车"
        not in (
            await instructor.press(ExpenseCB(action=ExpenseAct.approve, expense_id=1).pack())
        ).text
    )


async def test_the_count_of_claims_to_review_is_not_the_page(harness: Harness):
    """The review list shows the oldest 30 claims; the count says how many there are."""
    from datetime import date

    from storage.models import Expense, ExpenseStatus, User
    from storage.uow import UnitOfWork
    from tests.flows import table_rows

    liaison, instructor = await _people(harness)
    await instructor.send("/menu")
    [person] = [u for u in await table_rows(harness, User) if u.telegram_id == 1101]
    async with UnitOfWork(harness.app.db.sessions) as uow:
        uow.session.add_all(
            Expense(user_id=person.id or 0, org_id=person.org_id or 0, category="transport",
                    amount_fen=1000 + n, spent_on=date(2026, 11, 20), note="", receipt="",
                    status=ExpenseStatus.pending, created_at=harness.clock.now())
            for n in range(35)
        )  # fmt: skip
        await uow.commit()
    await liaison.send("/menu")
    reply = await liaison.click("经费审核")
    assert "35 笔待审核" in reply.text
    assert len([b for b, _ in liaison.buttons() if "交通费" in b]) == 30
    await liaison.click("交通费")
    reply = await liaison.click("批准")
    assert "还有 34 笔待审核" in reply.text
