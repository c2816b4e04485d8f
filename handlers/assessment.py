"""The annual assessment: liaisons see the ranking counted from the records, enter the
self-report and democratic evaluation scores, export the results, and get a one-page
summary per instructor; instructors see their own result only."""

from __future__ import annotations

from aiogram import Bot, F
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import BufferedInputFile, CallbackQuery, Message

from bot.callbacks import AssessAct, AssessCB, Menu, MenuCB
from bot.clock import Clock
from bot.context import Ctx
from bot.offload import Offloader
from bot.presentation import liaison_views as views
from bot.presentation.exports import workbook
from bot.presentation.ui import button, keyboard
from bot.presentation.word import Documents
from bot.services import assessment, orgs
from bot.services.errors import AccessDenied, Problem
from bot.services.when import cn_date
from bot.settings import Settings
from handlers.blueprint import Blueprint
from handlers.filters import SENDS_FILE, TEXT_INPUT, RoleFilter
from storage.models import Role

router = Blueprint("assessment")
router.filter("message", RoleFilter(Role.instructor, Role.liaison))
router.filter("callback_query", RoleFilter(Role.instructor, Role.liaison))
LIAISON = RoleFilter(Role.liaison)
liaison = router.scoped(LIAISON)  # the handlers only a liaison reaches
INSTRUCTOR = RoleFilter(Role.instructor)
instructor = router.scoped(INSTRUCTOR)  # the handlers only an instructor reaches


class Scores(StatesGroup):
    entry = State()


def _year(clock: Clock, settings: Settings) -> int:
    return clock.now().astimezone(settings.zone).year


RANKING_PAGE = 10  # people a ranking page lists, each with their two buttons (a phone screen)


@liaison.callback_query(MenuCB.filter(F.action == Menu.assessment))
async def ranking(query: CallbackQuery, ctx: Ctx) -> None:
    await ctx.form_state.clear()
    await _ranking_page(ctx, 0)


@liaison.callback_query(AssessCB.filter(F.action == AssessAct.page))
async def ranking_page(query: CallbackQuery, callback_data: AssessCB, ctx: Ctx) -> None:
    await _ranking_page(ctx, callback_data.page)


async def _ranking_page(ctx: Ctx, page: int) -> None:
    """The ranking a page at a time: a province's 300 instructors are fifteen pages, not
    one wall of text (the ranking itself needs everyone's figures: grouped queries)."""
    year = _year(ctx.clock, ctx.settings)
    found = await assessment.results(ctx.uow, ctx.member, year, ctx.settings)
    shown, page, pages = assessment.ranking_page(found, "total", page + 1, RANKING_PAGE)
    page -= 1  # the buttons count pages from 0
    rows = [
        [
            button(
                f"📝 {r.user.display_name}",
                AssessCB(action=AssessAct.score, user_id=r.user.id),
            ),
            button(
                f"📄 {r.user.display_name}",
                AssessCB(action=AssessAct.summary, user_id=r.user.id),
            ),
        ]
        for r in shown
    ]
    turn = []
    if page > 0:
        turn.append(
            button(ctx.ui.label("labels.prev_page"), AssessCB(action=AssessAct.page, page=page - 1))
        )
    if page + 1 < pages:
        turn.append(
            button(ctx.ui.label("labels.next_page"), AssessCB(action=AssessAct.page, page=page + 1))
        )
    if turn:
        rows.append(turn)
    rows.append(
        [button(ctx.ui.label("labels.assessment_export"), AssessCB(action=AssessAct.export))]
    )
    rows.append([button(ctx.ui.label("labels.back_to_menu"), MenuCB(action=Menu.home))])
    await ctx.ui.show(
        "assessment.ranking",
        keyboard(rows),
        year=year,
        count=len(found),
        page=page + 1,
        pages=pages,
        rows=[
            {
                "rank": r.rank,
                "name": r.user.display_name,
                "total": r.total,
                "records": r.records,
                "evaluation": r.evaluation,
            }
            for r in shown
        ],
    )


@liaison.callback_query(AssessCB.filter(F.action == AssessAct.score))
async def ask_scores(query: CallbackQuery, callback_data: AssessCB, ctx: Ctx) -> None:
    await assessment.scorable(ctx.uow, ctx.member, callback_data.user_id)  # refused at once
    await ctx.form_state.set_state(Scores.entry)
    await ctx.form_state.set_data({"user_id": callback_data.user_id})
    back = keyboard([[button(ctx.ui.label("labels.cancel"), MenuCB(action=Menu.assessment))]])
    await ctx.ui.show("assessment.ask_scores", back)


@liaison.message(Scores.entry, TEXT_INPUT)
async def got_scores(message: Message, ctx: Ctx) -> None:
    user_id = int((await ctx.form_state.get_data())["user_id"])
    try:
        mine, theirs = assessment.parse_scores(message.text or "")
        person = await assessment.enter(
            ctx.uow, ctx.member, user_id, _year(ctx.clock, ctx.settings), mine, theirs, ctx.now()
        )
    except Problem as problem:
        await ctx.ui.send(message.chat.id, problem.key, **problem.params)
        return
    await ctx.form_state.clear()
    back = keyboard(
        [[button(ctx.ui.label("labels.assessment_back"), MenuCB(action=Menu.assessment))]]
    )
    await ctx.ui.send(
        message.chat.id, "assessment.saved", back, name=person.display_name, own=mine, others=theirs
    )


@liaison.callback_query(AssessCB.filter(F.action == AssessAct.summary))
async def summary(
    query: CallbackQuery, callback_data: AssessCB, bot: Bot, documents: Documents, ctx: Ctx
) -> None:
    year = _year(ctx.clock, ctx.settings)
    found = await assessment.results(ctx.uow, ctx.member, year, ctx.settings)
    match = [r for r in found if r.user.id == callback_data.user_id]
    if not match:
        raise AccessDenied()
    person = match[0]
    union = (await orgs.org_of(ctx.uow, person.user)).name
    today = cn_date(ctx.now().astimezone(ctx.settings.zone).date())
    chinese = ctx.ui.for_locale("zh")  # union documents are written in Chinese
    context = views.assessment_document(
        chinese, person, len(found), union, year, today, ctx.settings
    )
    data = await documents.render("assessment", context)
    name = f"{chinese.label('labels.assessment_file')}-{person.user.display_name}-{year}.docx"
    await bot.send_document(query.from_user.id, BufferedInputFile(data, filename=name))


@liaison.callback_query(AssessCB.filter(F.action == AssessAct.export), flags=SENDS_FILE)
async def export(query: CallbackQuery, offload: Offloader, ctx: Ctx) -> None:
    year = _year(ctx.clock, ctx.settings)
    found = await assessment.results(ctx.uow, ctx.member, year, ctx.settings)
    unions = {o.id or 0: o.name for o in await orgs.visible_orgs(ctx.uow, ctx.member)}
    await ctx.ui.send_export(
        "assessment.exporting",
        len(found),
        lambda: offload.run(workbook, views.assessment_sheets(ctx.ui, found, unions)),
        f"{ctx.ui.label('labels.assessment_file')}-{year}.xlsx",
    )


@instructor.callback_query(MenuCB.filter(F.action == Menu.assessment))
async def mine(query: CallbackQuery, ctx: Ctx) -> None:
    year = _year(ctx.clock, ctx.settings)
    result, cohort = await assessment.own(ctx.uow, ctx.member, year, ctx.settings)
    back = keyboard([[button(ctx.ui.label("labels.back_to_menu"), MenuCB(action=Menu.home))]])
    await ctx.ui.show(
        "assessment.mine",
        back,
        year=year,
        rows=views.assessment_rows(ctx.ui, result),
        records=result.records,
        evaluation=result.evaluation,
        total=result.total,
        rank=result.rank,
        cohort=cohort,
    )
