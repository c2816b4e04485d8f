"""Research data and the suggested wage rise: the rules at their edges, then the chat flow."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlmodel import select

from bot.services.research import Suggestion, suggest_rise
from bot.settings import Settings
from bot.testing import Harness
from storage.models import BargainingCase, EnterpriseFinance, Role, WageGuideline
from storage.uow import UnitOfWork
from tests.conftest import make_settings
from tests.factories import join
from tests.flows import instructor, open_case, register_enterprise


@pytest.fixture
def settings(any_db_url: str) -> Settings:
    """These flows run on SQLite and on PostgreSQL."""
    return make_settings(any_db_url)


NOW = datetime(2026, 1, 1, tzinfo=UTC)
GUIDE = WageGuideline(
    org_id=1,
    year=2026,
    baseline_pct=Decimal("7.0"),
    upper_pct=Decimal("10.0"),
    lower_pct=Decimal("3.0"),
    minimum_wage=Decimal(2210),
    cpi_pct=Decimal("3.5"),
    updated_at=NOW,
)


def fin(
    revenue=10_000.0, profit=1_200.0, labour=2_000.0, avg=6_000.0, year=2025
) -> EnterpriseFinance:
    return EnterpriseFinance(
        enterprise_id=1,
        year=year,
        revenue=Decimal(str(revenue)),
        profit=Decimal(str(profit)),
        labour_cost=Decimal(str(labour)),
        wage_bill=Decimal(1_500),
        average_wage=Decimal(str(avg)),
        headcount=1200,
        updated_at=NOW,
    )


def keys(s: Suggestion) -> list[str]:
    return [k.split(".")[1] for k, _ in s.reasons]


def test_no_data_gives_lower_to_baseline():
    s = suggest_rise(GUIDE, None, None)
    assert (s.low, s.high) == (Decimal("3.0"), Decimal("7.0"))
    assert "r_no_data" in keys(s)


def test_loss_sits_at_the_lower_line():
    s = suggest_rise(GUIDE, fin(profit=-50), None)
    assert (s.low, s.high) == (Decimal("3.0"), Decimal("3.0"))


@pytest.mark.parametrize(
    ("profit", "last_revenue", "expected"),
    [
        (1_000.0, 9_000.0, (7.0, 10.0)),  # margin exactly 10 %, growth 11 %: strong
        (999.0, 9_000.0, (3.5, 7.0)),  # margin just under 10 %: moderate, CPI floor
        (1_000.0, 9_400.0, (3.5, 7.0)),  # growth 6.4 % < baseline: moderate
    ],
)
def test_strong_and_moderate(profit, last_revenue, expected):
    s = suggest_rise(GUIDE, fin(profit=profit), fin(revenue=last_revenue, year=2024))
    assert (s.low, s.high) == tuple(Decimal(str(x)) for x in expected)


def test_heavy_labour_share_caps_at_baseline():
    s = suggest_rise(GUIDE, fin(profit=1_500, labour=5_100), None)
    assert (s.low, s.high) == (Decimal("7.0"), Decimal("7.0"))
    assert "r_labour_heavy" in keys(s)


def test_minimum_wage_warning():
    assert "r_minimum" in keys(suggest_rise(GUIDE, fin(avg=2_000), None))
    assert "r_minimum" not in keys(suggest_rise(GUIDE, fin(avg=2_200), None))


async def test_research_flow(harness: Harness):
    chat = await instructor(harness)
    await register_enterprise(chat)
    async with UnitOfWork(harness.app.db.sessions) as uow:
        org = await uow.orgs.by_name("洪山区总工会")
    assert org is not None
    liaison = harness.user(1001, "王芳")
    await join(harness, liaison, org, Role.liaison)

    await liaison.send("/menu")
    await liaison.click("工资指导线")
    assert "之间" in (await liaison.send("2030")).text
    await liaison.send("2026")
    await liaison.send("7")
    await liaison.send("10%")
    assert "-20 到 50" in (await liaison.send("百分之三")).text
    await liaison.send("3")
    await liaison.send("2210")
    await liaison.send("3.5")
    assert "已保存" in (await liaison.click("提交")).text

    await chat.send("/menu")
    await chat.click("查找企业")
    await chat.send("光谷")
    await chat.click("光谷电子有限公司")
    await chat.click("经营数据")
    await chat.click("录入经营数据")
    for value in ("2025", "12,000", "1500", "2400", "1800", "6500", "1200"):
        await chat.send(value)
    await chat.click("提交")
    assert "2025 年：营业收入 12000，" in chat.last_text

    await open_case(chat)
    await chat.click("更多")  # the card's second page
    reply = await chat.click("工资增幅建议")
    assert "建议增幅" in reply.text
    assert "7.0% – 10.0%" in reply.text
    assert "利润率 12.5%" in reply.text
    async with UnitOfWork(harness.app.db.sessions) as uow:
        assert len((await uow.session.execute(select(EnterpriseFinance))).scalars().all()) == 1
    assert not harness.telegram.errors()


async def test_advice_without_guideline_says_what_is_missing(harness: Harness):
    chat = await instructor(harness)
    await register_enterprise(chat)
    await open_case(chat)
    await chat.click("更多")  # the card's second page
    reply = await chat.click("工资增幅建议")
    assert "还没有录入 2026 年工资指导线" in reply.text


async def test_figures_are_exact_decimals_in_the_database(harness: Harness):
    """No float on the way: 0.1 + 0.2 of 万元 is 0.3, on SQLite as on PostgreSQL."""
    from storage.models import Enterprise, Org, OrgLevel

    async with UnitOfWork(harness.app.db.sessions) as uow:
        org = Org(name="测试工会", level=OrgLevel.county, path="/", created_at=NOW)
        uow.session.add(org)
        await uow.session.flush()
        firm = Enterprise(
            name="甲", credit_code="91420100MA4K0000XX", industry="x", headcount=10, women=1,
            has_union=True, address="x", contact="x", org_id=org.id or 0, created_at=NOW,
        )  # fmt: skip
        uow.session.add(firm)
        await uow.session.flush()
        record = fin()
        record.enterprise_id = firm.id or 0
        record.revenue = Decimal("0.1") + Decimal("0.2")
        record.profit = Decimal("-35.555")  # rounded half up to the cent
        await uow.research.save(record)
        await uow.commit()
    async with UnitOfWork(harness.app.db.sessions) as uow:
        found = await uow.research.finance(firm.id or 0, 2025)
    assert found is not None
    assert found.revenue == Decimal("0.30")
    assert isinstance(found.revenue, Decimal)
    assert found.profit == Decimal("-35.56")
    assert found.average_wage == Decimal("6000.00")


def test_the_advice_costs_the_range_and_weighs_the_workers_expectation():
    s = suggest_rise(GUIDE, fin(profit=1_000, avg=6_500), fin(revenue=9_000, year=2024))
    [cost] = [params for key, params in s.reasons if key == "research.r_cost"]
    # 6,500 yuan × 12 × 1,200 people × 7 % = 655.2 万元; × 10 % = 936 万元 (of a 1,500 bill).
    assert (cost["low_cost"], cost["high_cost"]) == (Decimal("655.2"), Decimal("936.0"))
    assert cost["share"] == Decimal("62.4")
    for median, where in ((Decimal(12), "above"), (Decimal(8), "within"), (Decimal(2), "below")):
        found = suggest_rise(GUIDE, fin(profit=1_000), fin(revenue=9_000, year=2024), median)
        assert f"research.r_expected_{where}" in [key for key, _ in found.reasons]


def test_yearly_rise_cost():
    from bot.services.costing import share_of, yearly_rise_cost

    assert yearly_rise_cost(Decimal(6000), 100, Decimal("5")) == Decimal("36.0")
    assert yearly_rise_cost(Decimal("6000.50"), 3, Decimal("0")) == Decimal("0.0")
    assert share_of(Decimal(36), Decimal(0)) is None


async def test_a_later_year_uses_the_latest_guideline_and_says_so(harness: Harness):
    """The demo has this year's guideline; a case of next year gets it, said so, and the
    demo's wage advice works out of the box."""
    from bot.services import advice, demo

    async with UnitOfWork(harness.app.db.sessions) as uow:
        await demo.seed(uow, harness.clock.now(), harness.app.settings)
        await uow.commit()
    async with UnitOfWork(harness.app.db.sessions) as uow:
        [case] = (await uow.session.execute(select(BargainingCase))).scalars().all()
        owner = await uow.users.get(case.owner_id)
        assert owner is not None
        now = harness.clock.now()
        found = await advice.case_advice(uow, owner, case.id or 0, now, harness.app.settings)
        assert found.suggestion is not None
        keys = [key for key, _ in found.suggestion.reasons]
        assert "research.r_cost" in keys
        assert any(key.startswith("research.r_expected_") for key in keys)  # the demo survey
        assert "research.r_older_guideline" not in keys
        case.year += 1
        later = await advice.case_advice(uow, owner, case.id or 0, now, harness.app.settings)
        assert later.suggestion is not None
        assert later.suggestion.reasons[0][0] == "research.r_older_guideline"


def test_a_package_is_costed_item_by_item_and_names_what_is_missing():
    from bot.services.costing import Figures, Proposals, package

    accounts = Figures(headcount=1200, average_wage=Decimal(6500), wage_bill=Decimal(9360))
    # A band: 800 front-line workers at 5,200 get 8 %, the other 400 (at 9,100) get 6 %.
    band = Figures(**{**accounts.__dict__, "frontline": 800, "frontline_average": Decimal(5200)})
    found = package(band, Proposals(rise_pct=Decimal(6), frontline_rise_pct=Decimal(8)))
    # 12 × (800 × 5,200 × 8 % + 400 × 9,100 × 6 %) = 661.4 万元
    assert [(i.key, i.cost) for i in found.items] == [("rise", Decimal("661.4"))]
    full = Figures(
        **{**band.__dict__, "below_minimum": 50, "below_average": Decimal(2250),
           "overtime_hours": 100_000},
    )  # fmt: skip
    proposals = Proposals(
        rise_pct=Decimal(6), minimum_wage=Decimal(2400), allowance=Decimal(100),
        allowance_people=300, overtime_base_raise=Decimal(435),
    )  # fmt: skip
    found = package(full, proposals)
    costs = {i.key: i.cost for i in found.items}
    assert costs["minimum"] == Decimal("9.0")  # 50 × 150 × 12
    assert costs["allowance"] == Decimal("36.0")  # 100 × 300 × 12
    assert costs["overtime"] == Decimal("37.5")  # 435 / 21.75 / 8 × 1.5 × 100,000
    assert found.total == sum((c for c in costs.values() if c is not None), Decimal(0))
    assert found.share == (found.total / Decimal(9360) * 100).quantize(Decimal("0.1"))
    assert found.missing == []
    # Without the figures a proposal needs, it is named, not guessed.
    bare = package(Figures(), Proposals(rise_pct=Decimal(6), minimum_wage=Decimal(2400)))
    assert [i.cost for i in bare.items] == [None, None]
    assert bare.missing == [
        "headcount", "average_wage", "below_minimum", "below_average", "wage_bill",
    ]  # fmt: skip


async def test_costing_through_the_chat_reaches_the_plan(harness: Harness):
    from tests.test_documents import _generate, _seeded

    chat = await _seeded(harness)
    async with UnitOfWork(harness.app.db.sessions) as uow:  # the demo's costing, cleared
        [case] = (await uow.session.execute(select(BargainingCase))).scalars().all()
        case.costing = {}
        await uow.commit()
    await chat.click("更多")
    await chat.click("工资增幅建议")
    await chat.click("成本测算")
    await chat.send("6")
    await chat.send("8")
    await chat.send("800")
    await chat.send("5200元")
    await chat.send("2400")
    assert "整数" in (await chat.send("很多")).text
    await chat.send("50人")
    await chat.send("2250")
    await chat.click("跳过")  # no allowance
    await chat.click("跳过")
    await chat.click("跳过")  # no overtime base change
    reply = await chat.click("跳过")
    assert "工资增长：661.4 万元" in reply.text
    assert "企业最低工资：9 万元" in reply.text
    assert "合计：670.4 万元" in reply.text
    assert "占上年工资总额 7.2%" in reply.text
    assert "职工期望增幅中位数" in reply.text
    reply = await chat.click("提交")
    assert "已保存到案件" in reply.text
    chart = chat.last_file("photo")  # the costing as a chart
    assert chart.content.startswith(b"\x89PNG")
    # The pay topic's card shows what its proposals cost, and the package.
    await chat.click("返回案件")
    await chat.click("议题")
    card = await chat.click("劳动报酬")
    assert "成本测算" in card.text
    assert "工资增长：661.4 万元" in card.text
    assert "整套方案合计 670.4 万元，占上年工资总额 7.2%" in card.text
    await chat.click("议题列表")
    await chat.click("返回案件")
    _, text = await _generate(harness, chat, "plan")
    assert "成本测算" in text
    assert "合计 670.4 万元，占上年工资总额 7.2%" in text
