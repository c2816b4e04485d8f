"""Enterprises and cases through the chat: registration with validation, duplicates,
search within the union subtree, opening a case, moving it through the stages with dates,
the workers' congress vote, access for other instructors and liaisons."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import select

from bot.callbacks import CaseCB, CaseEnterpriseCB, EnterpriseCB, MoveCB, ShareCB
from bot.settings import Settings
from bot.testing import Harness
from storage.models import BargainingCase, Enterprise, Role, Stage, StageEvent
from storage.uow import UnitOfWork
from tests.conftest import make_settings
from tests.factories import join, make_org
from tests.flows import (
    CODE,
    instructor,
    open_case,
    register_enterprise,
    statements_to_open,
    table_rows,
)


@pytest.fixture
def settings(any_db_url: str) -> Settings:
    """These flows run on SQLite and on PostgreSQL."""
    return make_settings(any_db_url)


async def test_register_enterprise_with_validation(harness: Harness):
    chat = await instructor(harness)
    await chat.send("/menu")
    await chat.click("登记企业")
    await chat.send("光谷电子有限公司")
    assert "18 位" in (await chat.send("12345")).text
    assert "校验位不对" in (await chat.send("9144030071526726XH")).text
    await chat.send("9144 0300 7152 6726 xg")  # pasted with spaces, lower case
    await chat.send("电子制造")
    assert "1 到" in (await chat.send("0")).text
    assert "整数" in (await chat.send("很多")).text
    await chat.send("1,200")
    assert "0 到 1200" in (await chat.send("1300")).text
    await chat.send("300")
    assert "按钮" in (await chat.send("是")).text
    await chat.click("是")
    await chat.send("武汉市洪山区光谷大道 1 号 <A&B>")
    await chat.send("刘主席 13800000000")
    assert "请核对企业信息" in chat.last_text
    reply = await chat.click("提交")
    assert "已登记企业" in reply.text
    [enterprise] = await table_rows(harness, Enterprise)
    assert enterprise.credit_code == CODE
    assert enterprise.headcount == 1200
    assert enterprise.women == 300
    assert enterprise.has_union
    assert enterprise.address == "武汉市洪山区光谷大道 1 号 <A&B>"
    assert not harness.telegram.errors()


async def test_duplicate_code_points_to_the_existing_record(harness: Harness):
    chat = await instructor(harness)
    await register_enterprise(chat)
    await register_enterprise(chat, name="另一个名字")
    assert "已经登记过了" in chat.last_text
    assert "光谷电子有限公司" in chat.last_text
    assert len(await table_rows(harness, Enterprise)) == 1

    # An instructor of another union registering the same code learns only that it is
    # registered elsewhere, and whom to ask: not that union's enterprise name or union.
    other = await instructor(harness, 1102, "宜昌市总工会")
    await register_enterprise(other, name="另一个名字")
    assert "其他工会登记过了" in other.last_text
    assert "光谷电子有限公司" not in other.last_text
    assert "洪山区总工会" not in other.last_text


async def test_search_is_limited_to_the_union_subtree(harness: Harness):
    chat = await instructor(harness)
    await register_enterprise(chat)
    other = await instructor(harness, 1102, "宜昌市总工会")
    await other.send("/menu")
    await other.click("查找企业")
    assert "没有找到" in (await other.send("光谷")).text
    [enterprise] = await table_rows(harness, Enterprise)
    reply = await other.press(EnterpriseCB(enterprise_id=enterprise.id).pack())
    assert "没有权限" in reply.text

    await chat.send("/menu")
    await chat.click("查找企业")
    assert "找到 1 家" in (await chat.send("光谷")).text
    assert "找到 1 家" in (await chat.send(CODE.lower())).text
    assert "没有找到" in (await chat.send("%")).text


async def test_case_lifecycle_with_dates_and_congress(harness: Harness):
    chat = await instructor(harness)
    await register_enterprise(chat)
    await open_case(chat)
    assert "准备中" in chat.last_text
    [case] = await table_rows(harness, BargainingCase)
    assert case.stage is Stage.preparing

    # Illegal jumps are not offered; a forged one is refused with the reason.
    reply = await chat.press(MoveCB(case_id=case.id, stage="signed", when="today").pack())
    assert "不能直接转到" in reply.text

    await chat.click("发出要约")
    assert "明天" not in chat.last_text
    assert "还没有到" in (await chat.send("2026-12-01")).text
    assert "日期" in (await chat.send("2026-02-30")).text
    await chat.send("2026-11-20")
    assert "对方书面回应期限" in chat.last_text
    assert "2026-12-10" in chat.last_text  # 20 days after the offer

    await chat.click("收到回应")
    assert "早于上一个阶段" in (await chat.send("2026-11-19")).text
    await chat.click("今天")
    assert "对方书面回应期限" not in chat.last_text  # the reply came: no longer a deadline
    await chat.click("开始/恢复协商")
    await chat.click("今天")
    await chat.click("草案提交职代会")
    await chat.click("今天")
    assert "签订" not in [label for label, _ in chat.buttons() if "✍️" in label]

    # Signing before the congress passes is refused.
    reply = await chat.press(MoveCB(case_id=case.id, stage="signed", when="today").pack())
    assert "职工代表大会" in reply.text
    assert "返回案件" in " ".join(label for label, _ in chat.buttons())  # a way back

    await chat.click("职代会表决")
    await chat.click("纸质表决")
    await chat.send("30")
    await chat.send("20")
    await chat.send("15")
    reply = await chat.click("提交")
    assert "未通过" in reply.text  # 15 is half of all, not more

    await chat.click("职代会表决")
    await chat.click("纸质表决")
    await chat.send("30")
    await chat.send("19")
    await chat.send("19")
    assert "表决无效" in (await chat.click("提交")).text

    # Counts that cannot be are refused at their step, not after the whole form.
    await chat.click("职代会表决")
    await chat.click("纸质表决")
    await chat.send("30")
    assert "不能超过职工代表总数（30 人）" in (await chat.send("39")).text
    await chat.send("29")
    assert "不能超过出席人数（29 人）" in (await chat.send("45")).text
    await chat.send("/cancel")
    await chat.click("返回案件")  # a left form offers the way back to its case

    await chat.click("职代会表决")
    await chat.click("纸质表决")
    await chat.send("30")
    await chat.send("25")
    await chat.send("16")
    assert "表决通过" in (await chat.click("提交")).text

    await chat.click("签订")
    await chat.click("今天")
    await chat.click("1 年")
    assert "请核对签订" in chat.last_text
    await chat.click("提交")
    assert "报送劳动行政部门期限" in chat.last_text
    assert "2026-12-01" in chat.last_text  # wage contracts: 7 days after signing
    await chat.click("报送审查")
    await chat.click("今天")
    assert "审查期届满" in chat.last_text
    assert "对方书面回应期限" not in chat.last_text

    # In force only once the review is over (filed today: effective in 16 days).
    reply = await chat.press(MoveCB(case_id=case.id, stage="in_force", when="today").pack())
    assert "审查期" in reply.text
    assert "起才生效" in reply.text

    [case] = await table_rows(harness, BargainingCase)
    assert case.stage is Stage.filed
    assert case.offer_on == date(2026, 11, 20)
    assert case.signed_on == date(2026, 11, 24)
    assert case.term_years == 1
    assert case.congress_passed
    events = await table_rows(harness, StageEvent)
    assert [e.to_stage for e in events] == [
        Stage.preparing,
        Stage.offer_sent,
        Stage.reply_received,
        Stage.negotiating,
        Stage.draft,
        Stage.signed,
        Stage.filed,
    ]
    assert not harness.telegram.errors()


async def test_case_access(harness: Harness):
    chat = await instructor(harness)
    await register_enterprise(chat)
    await open_case(chat)
    [case] = await table_rows(harness, BargainingCase)

    colleague = harness.user(1102, "张华")
    async with UnitOfWork(harness.app.db.sessions) as uow:
        org = await uow.orgs.by_name("洪山区总工会")
    assert org is not None
    await join(harness, colleague, org, Role.instructor)
    for forged in (f"c:{case.id}", f"mv:{case.id}:offer_sent:today", f"cg:{case.id}"):
        reply = await colleague.press(forged)
        assert "已发出要约" not in reply.text
    assert (await table_rows(harness, BargainingCase))[0].stage is Stage.preparing

    # The union's liaison sees the case, read-only.
    liaison = harness.user(1001, "王芳")
    await join(harness, liaison, org, Role.liaison)
    await liaison.send("/menu")
    await liaison.click("辖区案件")
    reply = await liaison.click("光谷电子有限公司")
    assert "准备中" in reply.text
    assert not [label for label, _ in liaison.buttons() if "发出要约" in label]
    reply = await liaison.press(MoveCB(case_id=case.id, stage="offer_sent", when="today").pack())
    assert (await table_rows(harness, BargainingCase))[0].stage is Stage.preparing

    # A liaison of another union cannot open it.
    outsider = harness.user(1002)
    await join(harness, outsider, await make_org(harness, "宜昌市总工会"), Role.liaison)
    reply = await outsider.press(CaseCB(case_id=case.id).pack())
    assert "没有权限" in reply.text


async def test_my_cases_list_shows_stage_and_next_deadline(harness: Harness):
    chat = await instructor(harness)
    await register_enterprise(chat)
    await open_case(chat)
    await chat.click("发出要约")
    await chat.click("今天")
    await chat.send("/menu")
    reply = await chat.click("我的案件")
    assert "已发出要约" in reply.text
    assert "对方书面回应期限 2026-12-14" in reply.text


async def test_timeline_lists_everything_newest_first(harness: Harness):
    chat = await instructor(harness)
    await register_enterprise(chat)
    await open_case(chat)
    harness.clock.advance(minutes=5)
    await chat.click("发出要约")
    await chat.send("2026-11-20")
    harness.clock.advance(minutes=5)
    await chat.click("📋 议题")
    await chat.click("添加议题")
    await chat.click("劳动报酬")
    await chat.click("返回案件")
    await chat.click("更多")  # the card's second page
    reply = await chat.click("时间线")
    lines = [line for line in reply.text.splitlines() if line.startswith("•")]
    assert "议题“劳动报酬”：已提出" in lines[0]
    # The case was opened in the bot today; the offer it records went out on the 20th.
    assert "2026-11-24 进入“准备中”" in lines[1]
    assert "2026-11-20 进入“已发出要约”" in lines[2]


async def test_case_list_paginates(harness: Harness):
    from bot.services import cases
    from storage.models import CaseType, Enterprise

    chat = await instructor(harness)
    await register_enterprise(chat)
    async with UnitOfWork(harness.app.db.sessions) as uow:
        user = await uow.users.by_telegram_id(1101)
        [enterprise] = (await uow.session.execute(select(Enterprise))).scalars().all()
        assert user is not None
        for _ in range(12):
            await cases.open_case(
                uow,
                user,
                enterprise.id or 0,
                CaseType.wage,
                2026,
                harness.clock.now(),
                harness.app.settings.zone,
            )
        await uow.commit()
    await chat.send("/menu")
    reply = await chat.click("我的案件")
    assert "第 1/2 页" in reply.text
    assert len([b for b in chat.buttons() if b[1].startswith("c:")]) == 10
    reply = await chat.click("下一页")
    assert "第 2/2 页" in reply.text
    assert len([b for b in chat.buttons() if b[1].startswith("c:")]) == 2

    # O(page): the statements a page costs do not grow with the number of cases.
    async def statements_for_a_page() -> int:
        return await statements_to_open(harness, chat, "我的案件")

    few = await statements_for_a_page()
    async with UnitOfWork(harness.app.db.sessions) as uow:
        user = await uow.users.by_telegram_id(1101)
        assert user is not None
        for _ in range(40):
            await cases.open_case(
                uow, user, enterprise.id or 0, CaseType.wage, 2026, harness.clock.now(),
                harness.app.settings.zone,
            )  # fmt: skip
        await uow.commit()
    assert await statements_for_a_page() == few
    assert "第 1/6 页" in chat.last_text


async def test_industry_case_covers_several_enterprises(harness: Harness):
    chat = await instructor(harness)
    await register_enterprise(chat)
    await register_enterprise(chat, name="光谷光电有限公司", code="91330100799655058B")
    await chat.send("/menu")
    await chat.click("查找企业")
    await chat.send("光谷电子")
    await chat.click("光谷电子有限公司")
    await chat.click("新建案件")
    await chat.click("行业性集体合同")
    await chat.click("2026")
    await chat.click("更多")  # the card's second page
    await chat.click("添加企业")
    await chat.send("光电")
    reply = await chat.click("光谷光电有限公司")
    assert (
        "光谷光电有限公司、光谷电子有限公司" in reply.text
        or "光谷电子有限公司、光谷光电有限公司" in reply.text
    )
    await chat.click("更多")  # the card's second page
    await chat.click("添加企业")
    await chat.send("光电")
    assert "已在本案件中" in (await chat.click("光谷光电有限公司")).text

    # A wage case stays with one enterprise.
    await open_case(chat)
    assert "添加企业" not in [label for label, _ in chat.buttons()]
    async with UnitOfWork(harness.app.db.sessions) as uow:
        wage = (
            (
                await uow.session.execute(
                    select(BargainingCase).where(BargainingCase.case_type == "wage")
                )
            )
            .scalars()
            .one()
        )
    reply = await chat.press(CaseEnterpriseCB(case_id=wage.id, enterprise_id=2).pack())
    assert "只有行业性、区域性" in reply.text


async def test_sharing_lets_a_colleague_see_but_not_change(harness: Harness):
    chat = await instructor(harness)
    await register_enterprise(chat)
    await open_case(chat)
    async with UnitOfWork(harness.app.db.sessions) as uow:
        org = await uow.orgs.by_name("洪山区总工会")
        [case] = (await uow.session.execute(select(BargainingCase))).scalars().all()
    assert org is not None
    colleague = harness.user(1102, "张华")
    await join(harness, colleague, org, Role.instructor)
    assert "没有权限" in (await colleague.press(CaseCB(case_id=case.id).pack())).text

    await chat.click("更多")  # the card's second page
    await chat.click("共享")
    reply = await chat.click("➕ 张华")
    assert "目前已共享给：张华" in reply.text
    await colleague.send("/menu")
    reply = await colleague.click("我的案件")
    assert "光谷电子有限公司" in reply.text
    reply = await colleague.click("光谷电子有限公司")
    assert "准备中" in reply.text
    assert "发出要约" not in [label for label, _ in colleague.buttons()]
    forged = MoveCB(case_id=case.id, stage="offer_sent", when="today").pack()
    assert "没有权限" in (await colleague.press(forged)).text  # shared to read, not to change
    async with UnitOfWork(harness.app.db.sessions) as uow:
        assert (await uow.cases.get(case.id or 0)).stage is Stage.preparing  # type: ignore[union-attr]

    # An instructor of another union cannot be added, even with forged data.
    await instructor(harness, 1201, "宜昌市总工会")
    async with UnitOfWork(harness.app.db.sessions) as uow:
        outsider_row = await uow.users.by_telegram_id(1201)
    assert outsider_row is not None
    assert (
        "没有权限"
        in (await chat.press(ShareCB(case_id=case.id, user_id=outsider_row.id).pack())).text
    )
    await chat.click("✅ 张华")
    reply = await colleague.press(CaseCB(case_id=case.id).pack())
    assert "没有权限" in reply.text
