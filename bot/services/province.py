"""The province data set: a big union to try the bot at scale (`xieshang demo seed
--province`, `xieshang playground --province`).

On an empty database: a province union whose liaison has Telegram id 1000; under it fifteen
city unions (the demo's 武汉市总工会 with its personas among them) and a hundred county unions
(the demo's 洪山区总工会 among them); three instructors per county union, twenty cases each
spread over every stage, with their enterprises, five logged meetings for a case past the
reply, six topics with their history; fifty closed surveys of two hundred answers; and a
year of work: reminders, tasks, trainings, supervision checks and expenses.

Rows are made with the storage layer's models and repositories (the rules they would check
one at a time hold by construction), committed one county union at a time, so the seed is
quick and a failure leaves whole counties. Deterministic: the same scale gives the same data.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.services import demo, orgs, surveys
from bot.services.credit_code import ALPHABET, check_character, organisation_check
from bot.services.profiles import today_in
from bot.settings import Settings
from storage.models import (
    Assignment,
    AssignmentKind,
    AssignmentRecipient,
    BargainingCase,
    CaseEnterprise,
    CaseRepresentative,
    CaseTopic,
    CaseType,
    Enterprise,
    Expense,
    ExpenseStatus,
    HiringRoute,
    InstructorProfile,
    NegotiationRound,
    OrgLevel,
    ProfileStatus,
    RecipientStatus,
    Reminder,
    ReminderStatus,
    Role,
    Side,
    Stage,
    StageEvent,
    SupervisionCheck,
    Survey,
    SurveyStatus,
    TopicEvent,
    TopicStatus,
    Training,
    TrainingInvite,
    TrainingKind,
    User,
)
from storage.repositories import ReleasedAnswer
from storage.uow import UnitOfWork

PROVINCE = "湖北省总工会"
PROVINCE_LIAISON = 1000  # the province liaison's Telegram id
FIRST_INSTRUCTOR = 3_000_000  # instructors' Telegram ids count up from here
CITIES = (
    "武汉市",  # the demo's city union, with its personas
    "黄石市",
    "十堰市",
    "宜昌市",
    "襄阳市",
    "鄂州市",
    "荆门市",
    "孝感市",
    "荆州市",
    "黄冈市",
    "咸宁市",
    "随州市",
    "恩施州",
    "仙桃市",
    "潜江市",
)
DISTRICTS = ("城关", "东城", "西城", "南湖", "北港", "新区", "高新", "开发", "滨江", "临空")
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = ("明", "华", "芳", "伟", "静", "强", "敏", "磊", "洋", "艳", "军", "丽", "勇", "杰")
INDUSTRIES = ("电子制造", "汽车零部件", "纺织服装", "食品加工", "建筑", "物流", "化工", "医药")
# Where a case stands, in the order the law moves it; a case at stage n went through 0..n.
PATH = (
    Stage.preparing,
    Stage.offer_sent,
    Stage.reply_received,
    Stage.negotiating,
    Stage.draft,
    Stage.signed,
    Stage.filed,
    Stage.in_force,
    Stage.performing,
    Stage.expiring,
)
OFF_PATH = (Stage.suspended, Stage.terminated, Stage.renewed)  # reached from negotiating/expiring
TOPIC_KEYS = ("pay", "pay_payment", "pay_extra", "pay_adjust", "pay_leave", "pay_special")
SITE = ("三楼会议室", "工会活动室", "行政楼二楼会议室", "职工之家")


@dataclass(frozen=True)
class Scale:
    cities: int = 15
    counties: int = 100
    instructors_per_county: int = 3
    cases_per_instructor: int = 20
    rounds_per_case: int = 5
    topics_per_case: int = 6
    surveys: int = 50
    answers_per_survey: int = 200
    tasks: int = 12
    trainings: int = 10


@dataclass
class Counts:
    orgs: int = 0
    instructors: int = 0
    cases: int = 0
    rounds: int = 0
    topics: int = 0
    surveys: int = 0
    answers: int = 0
    reminders: int = 0
    tasks: int = 0
    trainings: int = 0
    checks: int = 0
    expenses: int = 0
    extra: dict[str, int] = field(default_factory=dict)


def credit_code(serial: int) -> str:
    """A valid unified social credit code (GB 32100-2015) for the n-th made-up enterprise:
    registered in Hubei (4201..), an enterprise (91), its organisation code's check, then
    the code's own check character."""
    body = f"{serial:08d}"[-8:]
    org = body + organisation_check(body)
    first17 = f"91420100{org}"
    assert all(char in ALPHABET for char in first17)
    return first17 + check_character(first17)


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(("", *GIVEN))


def _stage_of(index: int) -> Stage:
    """Every stage, the common ones more often: twenty cases cover them all."""
    spread = (*PATH, *PATH[3:8], *OFF_PATH)
    return spread[index % len(spread)]


def _path_to(stage: Stage) -> list[Stage]:
    if stage in PATH:
        return list(PATH[: PATH.index(stage) + 1])
    if stage is Stage.renewed:
        return [*PATH, Stage.renewed]
    return [*PATH[: PATH.index(Stage.negotiating) + 1], stage]  # suspended, terminated


async def seed_province(
    sessions: async_sessionmaker[AsyncSession],
    now: datetime,
    settings: Settings,
    scale: Scale = Scale(),
    progress: Callable[[str], None] | None = None,
) -> Counts | None:
    """Create the province data set on an empty database; None if it holds data already."""
    rng = random.Random(20261130)
    counts = Counts()
    async with UnitOfWork(sessions) as uow:
        if await uow.orgs.count() > 0:
            return None
        province = await orgs.add_org(uow, PROVINCE, OrgLevel.province, None, now)
        await demo.seed(uow, now, settings, under=PROVINCE)
        await uow.users.add(
            User(
                telegram_id=PROVINCE_LIAISON,
                role=Role.liaison,
                org_id=province.id or 0,
                display_name="省总工会联络员",
                created_at=now,
            )
        )
        counties: list[tuple[str, int]] = []
        demo_county = await uow.orgs.by_name(demo.COUNTY)
        assert demo_county is not None
        counties.append((demo.COUNTY, demo_county.id or 0))
        city_names = [demo.CITY] + [f"{city}总工会" for city in CITIES[1 : scale.cities]]
        for city_name in city_names[1:]:
            await orgs.add_org(uow, city_name, OrgLevel.city, PROVINCE, now)
        # County unions spread over the cities in turn (the demo's 洪山 is Wuhan's first).
        for i in range(1, scale.counties):
            c, turn = i % scale.cities, i // scale.cities
            district = DISTRICTS[turn % len(DISTRICTS)] + (
                str(turn) if turn >= len(DISTRICTS) else ""
            )
            name = f"{CITIES[c]}{district}区总工会"
            county = await orgs.add_org(uow, name, OrgLevel.county, city_names[c], now)
            counties.append((name, county.id or 0))
        await uow.commit()
    counts.orgs = 1 + scale.cities + len(counties)

    instructors: list[User] = []
    serial = 0
    for number, (_, county_id) in enumerate(counties):
        async with UnitOfWork(sessions) as uow:
            for k in range(scale.instructors_per_county):
                telegram_id = FIRST_INSTRUCTOR + number * 10 + k
                user = await _instructor(uow, rng, telegram_id, county_id, now)
                instructors.append(user)
                serial = await _cases(
                    uow, rng, user, county_id, serial, now, settings, scale, counts
                )
            await uow.commit()
        if progress and (number + 1) % 10 == 0:
            progress(f"{number + 1}/{len(counties)} county unions")
    counts.instructors = len(instructors)

    async with UnitOfWork(sessions) as uow:
        await _surveys(uow, rng, now, settings, scale, counts)
        await _year_of_work(uow, rng, instructors, now, settings, scale, counts)
        await uow.commit()
    if progress:
        progress("surveys and a year of work")
    return counts


async def _instructor(
    uow: UnitOfWork, rng: random.Random, telegram_id: int, county_id: int, now: datetime
) -> User:
    name = _name(rng)
    user = await uow.users.add(
        User(
            telegram_id=telegram_id,
            role=Role.instructor,
            org_id=county_id,
            display_name=name,
            created_at=now - timedelta(days=rng.randint(60, 900)),
        )
    )
    await uow.profiles.save(
        InstructorProfile(
            user_id=user.id or 0,
            name=name,
            phone=f"139{telegram_id % 100_000_000:08d}",
            birth_date=date(rng.randint(1962, 1990), rng.randint(1, 12), rng.randint(1, 28)),
            hiring_route=rng.choice(list(HiringRoute)),
            certificate_no=f"HB-{telegram_id}",
            area=rng.choice(INDUSTRIES) + "行业",
            status=ProfileStatus.active,
            created_at=now,
            updated_at=now,
        )
    )
    return user


async def _cases(
    uow: UnitOfWork,
    rng: random.Random,
    owner: User,
    county_id: int,
    serial: int,
    now: datetime,
    settings: Settings,
    scale: Scale,
    counts: Counts,
) -> int:
    today = today_in(settings.zone, now)
    session = uow.session
    firms, cases = [], []
    for n in range(scale.cases_per_instructor):
        serial += 1
        headcount = rng.randint(60, 3000)
        firm = Enterprise(
            name=f"{rng.choice('华鄂楚江汉荆')}{serial:05d}号{rng.choice(INDUSTRIES)}有限公司",
            credit_code=credit_code(serial),
            industry=rng.choice(INDUSTRIES),
            headcount=headcount,
            women=rng.randint(0, headcount // 2),
            has_union=rng.random() < 0.8,
            address=f"湖北省{rng.choice(CITIES)}{rng.choice(DISTRICTS)}路{rng.randint(1, 999)}号",
            contact=f"{_name(rng)} 1380000{serial % 10_000:04d}",
            org_id=county_id,
            created_by_id=owner.id,
            created_at=now,
            legal_rep=_name(rng),
            economic_type="有限责任公司",
        )
        stage = _stage_of(n)
        steps = _path_to(stage)
        start = today - timedelta(days=30 * len(steps) + rng.randint(0, 40))
        days = [start + timedelta(days=30 * i) for i in range(len(steps))]
        case = BargainingCase(
            org_id=county_id,
            owner_id=owner.id or 0,
            case_type=CaseType.wage if n % 3 else CaseType.comprehensive,
            year=days[-1].year,
            stage=stage,
            stage_on=days[-1],
            offer_on=days[1] if len(days) > 1 else None,
            first_round_on=days[3] if len(days) > 3 else None,
            signed_on=days[5] if len(days) > 5 else None,
            filed_on=days[6] if len(days) > 6 else None,
            term_years=rng.choice((1, 2, 3)) if len(days) > 5 else None,
            created_at=now,
            updated_at=now,
        )
        if len(days) > 5:  # signed: the congress passed
            total = rng.randint(30, 120)
            present = rng.randint(-(-total * 2 // 3), total)
            case.congress_total, case.congress_present = total, present
            case.congress_yes, case.congress_passed = rng.randint(total // 2 + 1, present), True
        firms.append(firm)
        cases.append((case, steps, days))
    session.add_all(firms)
    session.add_all([c for c, _, _ in cases])
    await session.flush()
    rows: list[object] = []
    for firm, (case, steps, days) in zip(firms, cases, strict=True):
        cid = case.id or 0
        rows.append(CaseEnterprise(case_id=cid, enterprise_id=firm.id or 0))
        for i, step in enumerate(steps):
            before = steps[i - 1] if i else None
            rows.append(
                StageEvent(
                    case_id=cid,
                    from_stage=before,
                    to_stage=step,
                    on=days[i],
                    by_id=owner.id or 0,
                    at=now,
                )
            )
        for side in Side:
            for r in range(3):
                rows.append(
                    CaseRepresentative(
                        case_id=cid,
                        side=side,
                        name=_name(rng),
                        post="",
                        chief=r == 0,
                        expert=False,
                        woman=r == 2,
                        created_at=now,
                    )
                )
        held = 0
        if case.first_round_on is not None:
            for r in range(scale.rounds_per_case):
                held_at = datetime.combine(
                    case.first_round_on + timedelta(days=5 * r), time(9), tzinfo=settings.zone
                )
                rows.append(
                    NegotiationRound(
                        case_id=cid,
                        round_no=r + 1,
                        held_at=held_at,
                        place=firm.name[:20] + rng.choice(SITE),
                        workers_present=3,
                        employer_present=3,
                        chiefs_present=True,
                        recorder=_name(rng),
                        agreements="",
                        open_points="工资增长幅度",
                        created_by_id=owner.id or 0,
                        created_at=now,
                        updated_at=now,
                    )
                )
            held = scale.rounds_per_case
        counts.rounds += held
        counts.cases += 1
    session.add_all(rows)
    topics: list[tuple[CaseTopic, int]] = []
    for case, steps, _ in cases:
        settled = len(steps) > 4  # a draft or later: every topic agreed
        for key in TOPIC_KEYS[: scale.topics_per_case]:
            status = (
                TopicStatus.agreed
                if settled
                else rng.choice(
                    (TopicStatus.proposed, TopicStatus.countered, TopicStatus.tentative)
                )
            )
            rise = rng.randint(3, 9)
            topic = CaseTopic(
                case_id=case.id or 0,
                key=key,
                our_demand=f"职工月平均工资在上年度基础上增长{rise + 2}%。",
                their_position=f"职工月平均工资在上年度基础上增长{rise}%。",
                agreed_text=f"职工月平均工资在上年度基础上增长{rise + 1}%。" if settled else "",
                status=status,
                updated_at=now,
            )
            topics.append((topic, 3 if settled else 2))
    session.add_all([t for t, _ in topics])
    await session.flush()
    events = []
    for topic, history in topics:
        steps_of = (TopicStatus.proposed, TopicStatus.countered, topic.status)[:history]
        for i, status in enumerate(steps_of):
            events.append(
                TopicEvent(
                    topic_id=topic.id or 0,
                    round_no=i + 1 if i else None,
                    status=status,
                    our_demand=topic.our_demand,
                    their_position=topic.their_position if i else "",
                    agreed_text=topic.agreed_text if status is TopicStatus.agreed else "",
                    by_id=owner.id or 0,
                    at=now,
                )
            )
    session.add_all(events)
    await session.flush()
    counts.topics += len(topics)
    return serial


async def _surveys(
    uow: UnitOfWork,
    rng: random.Random,
    now: datetime,
    settings: Settings,
    scale: Scale,
    counts: Counts,
) -> None:
    """Closed surveys with their released answers (made-up workers: nobody to keep apart)."""
    found = await uow.cases.first(scale.surveys)
    for case in found:
        survey = Survey(
            case_id=case.id or 0,
            author_id=case.owner_id,
            token=surveys.new_token(),
            topics=[surveys.topic_entry(k) for k in ("pay", "hours", "safety", "rest")],
            questions=list(surveys.QUESTIONS),
            rise_max=settings.survey_rise_max_percent,
            status=SurveyStatus.closed,
            opens_at=now - timedelta(days=60),
            closes_at=now - timedelta(days=46),
            published_at=now - timedelta(days=60),
            closed_at=now - timedelta(days=46),
            erased=True,
            created_at=now - timedelta(days=61),
        )
        await uow.surveys.add(survey)
        answers = []
        for _ in range(scale.answers_per_survey):
            chosen = rng.sample(range(4), rng.randint(1, 3))
            stratum = rng.choice(("frontline", "junior", "middle"))
            answers.append(
                ReleasedAnswer(rng.randint(20, 120), stratum, "", [(0, i) for i in chosen])
            )
        await uow.surveys.release(survey.id or 0, [], answers)
        counts.surveys += 1
        counts.answers += len(answers)


async def _year_of_work(
    uow: UnitOfWork,
    rng: random.Random,
    instructors: list[User],
    now: datetime,
    settings: Settings,
    scale: Scale,
    counts: Counts,
) -> None:
    session = uow.session
    province = await uow.orgs.by_name(PROVINCE)
    liaison = await uow.users.by_telegram_id(PROVINCE_LIAISON)
    assert province is not None
    assert liaison is not None
    today = today_in(settings.zone, now)
    rows: list[object] = []
    for user in instructors:  # a reminder a month, done; one still ahead
        for month in range(12):
            due = now - timedelta(days=30 * (12 - month))
            rows.append(
                Reminder(
                    recipient_id=user.id or 0,
                    kind="personal",
                    idem_key=f"seed:{user.id}:{month}",
                    due_at=due,
                    next_attempt_at=due,
                    payload={"key": "reminders.personal", "params": {"text": "走访企业"}},
                    status=ReminderStatus.sent,
                    attempts=1,
                    sent_at=due,
                    done_at=due,
                    created_at=due,
                )
            )
        ahead = now + timedelta(days=rng.randint(1, 20))
        rows.append(
            Reminder(
                recipient_id=user.id or 0,
                kind="personal",
                idem_key=f"seed:{user.id}:next",
                due_at=ahead,
                next_attempt_at=ahead,
                payload={"key": "reminders.personal", "params": {"text": "整理协商台账"}},
                status=ReminderStatus.pending,
                created_at=now,
            )
        )
        for e in range(6):
            spent = today - timedelta(days=rng.randint(1, 360))
            rows.append(
                Expense(
                    user_id=user.id or 0,
                    org_id=user.org_id or 0,
                    category=rng.choice(("transport", "meals", "travel", "phone")),
                    amount_fen=rng.randint(2_000, 80_000),
                    spent_on=spent,
                    note="走访企业",
                    receipt="",
                    status=ExpenseStatus.approved if e % 3 else ExpenseStatus.pending,
                    created_at=now,
                )
            )
    counts.reminders = len(instructors) * 13
    counts.expenses = len(instructors) * 6
    tasks = []
    for t in range(scale.tasks):
        tasks.append(
            Assignment(
                org_id=province.id or 0,
                created_by_id=liaison.id or 0,
                kind=list(AssignmentKind)[t % len(AssignmentKind)],
                due_on=today - timedelta(days=30 * (scale.tasks - t) - 40),
                description=f"第{t + 1}号任务：按要求完成并反馈",
                created_at=now,
            )
        )
    trainings = []
    for t in range(scale.trainings):
        starts = datetime.combine(
            today - timedelta(days=35 * (scale.trainings - t)), time(9), tzinfo=settings.zone
        )
        trainings.append(
            Training(
                org_id=province.id or 0,
                created_by_id=liaison.id or 0,
                kind=list(TrainingKind)[t % len(TrainingKind)],
                title=f"全省集体协商业务培训第{t + 1}期",
                starts_at=starts,
                ends_at=starts + timedelta(hours=3),
                place="省总工会培训中心",
                hours=3.0,
                created_at=now,
            )
        )
    session.add_all([*tasks, *trainings])
    await session.flush()
    for task in tasks:
        for user in instructors:
            done = rng.random() < 0.8
            rows.append(
                AssignmentRecipient(
                    assignment_id=task.id or 0,
                    user_id=user.id or 0,
                    status=RecipientStatus.done if done else RecipientStatus.open,
                    done_at=now if done else None,
                )
            )
    for training in trainings:
        for user in instructors:
            present = rng.random() < 0.85
            rows.append(
                TrainingInvite(
                    training_id=training.id or 0,
                    user_id=user.id or 0,
                    response="attend" if present else "cannot",
                    checked_in_at=training.starts_at if present else None,
                )
            )
    for case in await uow.cases.in_stages((Stage.in_force, Stage.performing)):
        rows.append(
            SupervisionCheck(
                case_id=case.id or 0,
                scheduled_on=today - timedelta(days=20),
                team="工会、企业、职工代表",
                created_by_id=case.owner_id,
                created_at=now,
                finished_at=now,
            )
        )
        counts.checks += 1
    session.add_all(rows)
    await session.flush()
    counts.tasks, counts.trainings = len(tasks), len(trainings)
