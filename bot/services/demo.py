"""Demo data for the playground: a city union with a county union under it, one liaison and
two instructors with profiles, and the personas that play them in the web chat."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from bot.services import orgs, reminders, surveys, trainings
from bot.services.anonymity import scrub
from bot.services.profiles import today_in
from bot.settings import Settings
from storage.models import (
    BargainingCase,
    CaseTopic,
    CaseType,
    Enterprise,
    EnterpriseFinance,
    HiringRoute,
    InstructorProfile,
    NegotiationRound,
    OrgLevel,
    ProfileStatus,
    Role,
    Stage,
    StageEvent,
    TopicStatus,
    TrainingKind,
    User,
    WageGuideline,
)
from storage.repositories import ReleasedAnswer
from storage.uow import UnitOfWork

CITY = "武汉市总工会"
COUNTY = "洪山区总工会"


@dataclass(frozen=True)
class Persona:
    telegram_id: int
    name: str
    language: str
    note: str


PERSONAS = (
    Persona(1001, "王芳", "zh", "liaison of 武汉市总工会"),
    Persona(1101, "李明", "zh", "instructor of 洪山区总工会"),
    Persona(1102, "Zhang Hua", "en", "instructor of 洪山区总工会 (English)"),
    Persona(1201, "职工小陈", "zh", "worker"),
    Persona(1301, "新来的指导员", "zh", "not yet invited: ask 王芳 for an invite"),
    # Workers' congress representatives: each opens a voting link of 李明's online congress.
    Persona(1401, "职工代表 赵师傅", "zh", "congress representative"),
    Persona(1402, "职工代表 钱工", "zh", "congress representative"),
    Persona(1403, "职工代表 孙班长", "zh", "congress representative"),
    Persona(1404, "职工代表 周姐", "zh", "congress representative"),
)


async def seed(
    uow: UnitOfWork, now: datetime, settings: Settings, under: str | None = None
) -> bool:
    """Create the demo records on an empty database (`under`: beneath that union, which
    the province data set made first); False if there was data already."""
    if under is None and await uow.orgs.count() > 0:
        return False
    city = await orgs.add_org(uow, CITY, OrgLevel.city, under, now)
    county = await orgs.add_org(uow, COUNTY, OrgLevel.county, CITY, now)
    assert city.id is not None
    assert county.id is not None
    await uow.users.add(
        User(
            telegram_id=1001, role=Role.liaison, org_id=city.id, display_name="王芳", created_at=now
        )
    )
    instructors = (
        (1101, "李明", "zh", "13812345678", date(1968, 5, 20), "洪山区电子信息行业"),
        (1102, "Zhang Hua", "en", "13987654321", date(1975, 9, 1), "Optics Valley zone"),
    )
    owner: User | None = None
    for telegram_id, name, locale, phone, birth, area in instructors:
        user = await uow.users.add(
            User(
                telegram_id=telegram_id,
                role=Role.instructor,
                org_id=county.id,
                display_name=name,
                locale=locale,
                created_at=now,
            )
        )
        await uow.profiles.save(
            InstructorProfile(
                user_id=user.id or 0,
                name=name,
                phone=phone,
                birth_date=birth,
                hiring_route=HiringRoute.direct,
                certificate_no=f"WH-{telegram_id}",
                area=area,
                status=ProfileStatus.active,
                created_at=now,
                updated_at=now,
            )
        )
        owner = owner or user
    assert owner is not None
    # The city's wage guideline for this year, so the wage advice works out of the box.
    await uow.research.save(
        WageGuideline(
            org_id=city.id,
            year=now.year,
            baseline_pct=Decimal("6.5"),
            upper_pct=Decimal("9.0"),
            lower_pct=Decimal("3.5"),
            minimum_wage=Decimal(2210),
            cpi_pct=Decimal("2.0"),
            updated_at=now,
        )
    )
    await _seed_case(uow, owner, county.id, now, settings)
    liaison = await uow.users.by_telegram_id(1001)
    assert liaison is not None
    next_week = reminders.at_local(
        now.astimezone(settings.zone).date() + timedelta(days=7), time(9, 0), settings.zone
    )
    await trainings.schedule(
        uow,
        liaison,
        TrainingKind.mock,
        "工资集体协商模拟演练",
        next_week,
        3,
        "武汉市总工会二楼培训室",
        None,
        now,
    )
    return True


async def _seed_case(
    uow: UnitOfWork, owner: User, org_id: int, now: datetime, settings: Settings
) -> None:
    """Two enterprises and a wage case in negotiation with one logged meeting, a topic and
    an open survey with answers."""
    firms = [
        Enterprise(
            name=name,
            credit_code=code,
            industry=industry,
            headcount=headcount,
            women=women,
            has_union=True,
            address=address,
            contact=contact,
            org_id=org_id,
            created_by_id=owner.id,
            created_at=now,
        )
        for name, code, industry, headcount, women, address, contact in (
            (
                "光谷电子有限公司",
                "9144030071526726XG",
                "电子制造",
                1200,
                300,
                "洪山区光谷大道 1 号",
                "刘主席 13800000000",
            ),
            (
                "楚天餐饮管理有限公司",
                "91330100799655058B",
                "餐饮",
                260,
                150,
                "洪山区珞喻路 88 号",
                "陈主席 13900000000",
            ),
        )
    ]
    for firm in firms:
        await uow.enterprises.add(firm)
    # 光谷电子's accounts for the last two years (万元; the average wage in yuan a month).
    for year, revenue, profit in ((now.year - 1, 85_000, 6_800), (now.year - 2, 79_000, 6_100)):
        await uow.research.save(
            EnterpriseFinance(
                enterprise_id=firms[0].id or 0,
                year=year,
                revenue=Decimal(revenue),
                profit=Decimal(profit),
                labour_cost=Decimal(21_000),
                wage_bill=Decimal(9_360),
                average_wage=Decimal(6_500),
                headcount=1200,
                updated_at=now,
            )
        )
    offer = (now - timedelta(days=30)).date()
    case = await uow.cases.add(
        BargainingCase(
            org_id=org_id,
            owner_id=owner.id or 0,
            case_type=CaseType.wage,
            year=now.year,
            stage=Stage.negotiating,
            stage_on=offer + timedelta(days=15),
            offer_on=offer,
            first_round_on=offer + timedelta(days=15),
            created_at=now,
            updated_at=now,
            # The workers' package, costed (💰 成本测算): on the pay topic's card and the plan.
            costing={
                "rise_pct": "6",
                "frontline_rise_pct": "8",
                "frontline": "800",
                "frontline_average": "5200",
                "minimum_wage": "2400",
                "below_minimum": "50",
                "below_average": "2250",
            },
        ),
        [firms[0].id or 0],
    )
    for before, after, day in (
        (None, Stage.preparing, offer),
        (Stage.preparing, Stage.offer_sent, offer),
        (Stage.offer_sent, Stage.reply_received, offer + timedelta(days=12)),
        (Stage.reply_received, Stage.negotiating, offer + timedelta(days=15)),
    ):
        await uow.cases.add_event(
            StageEvent(
                case_id=case.id or 0,
                from_stage=before,
                to_stage=after,
                on=day,
                by_id=owner.id or 0,
                at=now,
            )
        )
    await uow.rounds.add(
        NegotiationRound(
            case_id=case.id or 0,
            round_no=1,
            held_at=now - timedelta(days=15),
            place="光谷电子三楼会议室",
            workers_present=5,
            employer_present=5,
            chiefs_present=True,
            recorder="张记录",
            open_points="工资增长幅度；加班费计算基数",
            created_by_id=owner.id or 0,
            created_at=now,
            updated_at=now,
        )
    )
    # One topic still in dispute (each side's clause text), one agreed after the meeting.
    await uow.topics.add(
        CaseTopic(
            case_id=case.id or 0,
            key="pay",
            our_demand=(
                f"{now.year}年度，甲方职工月平均工资在上年度基础上增长6%，"
                "其中一线职工工资增长幅度不低于6%。\n"
                "甲方的企业最低工资标准为每月2400元。"
            ),
            their_position=(
                f"{now.year}年度，甲方职工月平均工资在上年度基础上增长3%。\n"
                "甲方的企业最低工资标准为每月2300元。"
            ),
            status=TopicStatus.countered,
            variant="standard",
            updated_at=now,
        )
    )
    await uow.topics.add(
        CaseTopic(
            case_id=case.id or 0,
            key="pay_payment",
            our_demand="甲方以货币形式按月支付职工工资，于每月10日前足额支付上月工资。",
            agreed_text=(
                "甲方以货币形式按月支付职工工资，于每月15日前足额支付上月工资；"
                "遇节假日或者休息日，提前在最近的工作日支付。\n"
                "甲方支付工资时，向职工提供个人工资清单，写明工资项目和金额。"
            ),
            agreed_round=1,
            agreed_by_id=owner.id,
            agreed_at=now - timedelta(days=15),
            status=TopicStatus.agreed,
            updated_at=now,
        )
    )
    await _seed_survey(uow, owner, case.id or 0, now, settings)


# Eight demo answers: (topics chosen, ranked, rise in tenths, stratum, comment).
DEMO_ANSWERS = (
    ([0, 1, 2], [0, 1, 2], 60, "frontline", "夜班津贴多年没涨了"),
    ([0, 1], [0, 1], 80, "frontline", ""),
    ([0, 2], [0, 2], 50, "frontline", "车间夏天太热，希望加高温补贴"),
    ([1, 2], [1, 2], 30, "junior", ""),
    ([0, 1, 3], [0, 3, 1], 100, "frontline", "加班费的计算基数应该是全部工资"),
    ([0], [0], 65, "frontline", ""),
    ([0, 3], [3, 0], 45, "middle", ""),
    ([0, 1, 2, 3], [0, 1, 3], 70, "frontline", "希望每年固定调资一次"),
    ([0, 2], [2, 0], 55, "frontline", "夏季高温时段能否调整班次"),
    ([1], [1], 40, "junior", ""),
    ([0, 1], [1, 0], 75, "frontline", "夜班能不能少排几次"),
)


async def _seed_survey(
    uow: UnitOfWork, owner: User, case_id: int, now: datetime, settings: Settings
) -> None:
    topics = [surveys.topic_entry(k) for k in ("pay", "hours", "safety", "rest")]
    survey = await surveys.create(
        uow,
        owner,
        case_id,
        topics,
        list(surveys.QUESTIONS),
        None,
        now + timedelta(days=settings.survey_default_days),
        now - timedelta(days=2),
        settings,
    )
    await surveys.publish(uow, owner, survey.id or 0, now - timedelta(days=2), settings)
    # Made-up workers: their answers go straight into the results (there is nobody to keep
    # them apart from), and each day's count as if they had answered through the link.
    answers = []
    for number, (chosen, ranked, rise, stratum, comment) in enumerate(DEMO_ANSWERS):
        answer = surveys.Answer(chosen, ranked, rise, stratum, comment, list(surveys.QUESTIONS))
        answers.append(ReleasedAnswer(rise, stratum, scrub(comment), surveys.picks_of(answer)))
        at = now - timedelta(days=2) + timedelta(hours=5 * number)
        await uow.surveys.count_day(survey.id or 0, today_in(settings.zone, at))
    await uow.surveys.release(survey.id or 0, [], answers)
