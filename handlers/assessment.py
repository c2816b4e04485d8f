"""The annual assessment: liaisons see the ranking counted from the records, enter the
self-report and democratic evaluation scores, export the results, and get a one-page
summary per instructor; instructors see their own result only."""

from __future__ import annotations

from aiogram import Bot, F
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import BufferedInputFile, CallbackQuery, Message

from bot.callbacks import AssessCB, MenuCB
from bot.clock import Clock
from bot.offload import Offloader
from bot.presentation import liaison_views as views
from bot.presentation.document_views import cn_date
from bot.presentation.exports import workbook
from bot.presentation.ui import Ui, button, keyboard
from bot.presentation.word import Documents
from bot.services import assessment, orgs
from bot.services.errors import AccessDenied, Problem
from bot.settings import Settings
from handlers.blueprint import Blueprint
from handlers.filters import SENDS_FILE, TEXT_INPUT, RoleFilter
from storage.models import Role, User
from storage.uow import UnitOfWork

router = Blueprint("assessment")
router.filter("message", RoleFilter(Role.instructor, Role.liaison))
router.filter("callback_query", RoleFilter(Role.instructor, Role.liaison))
LIAISON = RoleFilter(Role.liaison)
INSTRUCTOR = RoleFilter(Role.instructor)


class Scores(StatesGroup):
    entry = State()


def _year(clock: Clock, settings: Settings) -> int:
    return clock.now().astimezone(settings.zone).year


@router.callback_query(MenuCB.filter(F.action == "assessment"), LIAISON)
async def ranking(
    query: CallbackQuery,
    state: FSMContext,
    uow: UnitOfWork,
    user: User,
    ui: Ui,
    clock: Clock,
    settings: Settings,
) -> None:
    await state.clear()
    year = _year(clock, settings)
    found = await assessment.results(uow, user, year, settings)
    rows = [
        [
            button(f"📝 {r.user.display_name}", AssessCB(action="score", user_id=r.user.id or 0)),
            button(f"📄 {r.user.display_name}", AssessCB(action="summary", user_id=r.user.id or 0)),
        ]
        for r in found[:20]
    ]
    rows.append([button(ui.label("labels.assessment_export"), AssessCB(action="export"))])
    rows.append([button(ui.label("labels.back_to_menu"), MenuCB(action="home"))])
    await ui.show(
        "assessment.ranking",
        keyboard(rows),
        year=year,
        rows=[
            {
                "rank": r.rank,
                "name": r.user.display_name,
                "total": r.total,
                "records": r.records,
                "evaluation": r.evaluation,
            }
            for r in found
        ],
    )


@router.callback_query(AssessCB.filter(F.action == "score"), LIAISON)
async def ask_scores(
    query: CallbackQuery, callback_data: AssessCB, state: FSMContext, ui: Ui
) -> None:
    await state.set_state(Scores.entry)
    await state.set_data({"user_id": callback_data.user_id})
    back = keyboard([[button(ui.label("labels.cancel"), MenuCB(action="assessment"))]])
    await ui.show("assessment.ask_scores", back)


@router.message(Scores.entry, TEXT_INPUT, LIAISON)
async def got_scores(
    message: Message,
    state: FSMContext,
    uow: UnitOfWork,
    user: User,
    ui: Ui,
    clock: Clock,
    settings: Settings,
) -> None:
    user_id = int((await state.get_data())["user_id"])
    try:
        mine, theirs = assessment.parse_scores(message.text or "")
        person = await assessment.enter(
            uow, user, user_id, _year(clock, settings), mine, theirs, clock.now()
        )
    except Problem as problem:
        await ui.send(message.chat.id, problem.key, **problem.params)
        return
    await state.clear()
    back = keyboard([[button(ui.label("labels.assessment_back"), MenuCB(action="assessment"))]])
    await ui.send(
        message.chat.id, "assessment.saved", back, name=person.display_name, own=mine, others=theirs
    )


@router.callback_query(AssessCB.filter(F.action == "summary"), LIAISON)
async def summary(
    query: CallbackQuery,
    callback_data: AssessCB,
    uow: UnitOfWork,
    user: User,
    ui: Ui,
    clock: Clock,
    settings: Settings,
    bot: Bot,
    documents: Documents,
) -> None:
    year = _year(clock, settings)
    found = await assessment.results(uow, user, year, settings)
    match = [r for r in found if r.user.id == callback_data.user_id]
    if not match:
        raise AccessDenied()
    person = match[0]
    union = (await orgs.org_of(uow, person.user)).name
    today = cn_date(clock.now().astimezone(settings.zone).date())
    chinese = ui.for_locale("zh")  # union documents are written in Chinese
    context = views.assessment_document(chinese, person, len(found), union, year, today, settings)
    data = await documents.render("assessment", context)
    name = f"{chinese.label('labels.assessment_file')}-{person.user.display_name}-{year}.docx"
    await bot.send_document(query.from_user.id, BufferedInputFile(data, filename=name))


@router.callback_query(AssessCB.filter(F.action == "export"), LIAISON, flags=SENDS_FILE)
async def export(
    query: CallbackQuery,
    uow: UnitOfWork,
    user: User,
    ui: Ui,
    clock: Clock,
    settings: Settings,
    bot: Bot,
    offload: Offloader,
) -> None:
    year = _year(clock, settings)
    found = await assessment.results(uow, user, year, settings)
    unions = {o.id or 0: o.name for o in await orgs.visible_orgs(uow, user)}
    await ui.send(query.from_user.id, "assessment.exporting", count=len(found))
    data = await offload.run(workbook, views.assessment_sheets(ui, found, unions))
    await bot.send_document(
        query.from_user.id,
        BufferedInputFile(data, filename=f"{ui.label('labels.assessment_file')}-{year}.xlsx"),
    )


@router.callback_query(MenuCB.filter(F.action == "assessment"), INSTRUCTOR)
async def mine(
    query: CallbackQuery, uow: UnitOfWork, user: User, ui: Ui, clock: Clock, settings: Settings
) -> None:
    year = _year(clock, settings)
    result, cohort = await assessment.own(uow, user, year, settings)
    back = keyboard([[button(ui.label("labels.back_to_menu"), MenuCB(action="home"))]])
    await ui.show(
        "assessment.mine",
        back,
        year=year,
        rows=views.assessment_rows(ui, result),
        records=result.records,
        evaluation=result.evaluation,
        total=result.total,
        rank=result.rank,
        cohort=cohort,
    )
