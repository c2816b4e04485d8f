"""Surveys for instructors and liaisons: design one on a case (topics, questions, opening and
closing), publish it, share its link, QR code and poster, and read the results as text, a
chart and an Excel workbook. The worker's side is in handlers/answers.py."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aiogram import Bot, F
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import BufferedInputFile, CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.deep_linking import create_start_link

from bot.callbacks import CaseCB, DesignAct, DesignCB, SurveyAct, SurveyCB, SurveysCB
from bot.clock import Clock
from bot.context import Ctx
from bot.offload import Offloader
from bot.presentation import charts
from bot.presentation import survey_views as views
from bot.presentation.exports import workbook
from bot.presentation.ui import Ui, button, keyboard
from bot.presentation.word import Documents
from bot.services import survey_results, surveys
from bot.services.anonymity import SurveyKeys
from bot.services.errors import Problem
from bot.services.numbers import button_int
from bot.services.topics import ART8
from bot.settings import Settings
from handlers.blueprint import Blueprint
from handlers.filters import SENDS_FILE, SENDS_PHOTO, TEXT_INPUT, RoleFilter
from storage.models import Role, User
from storage.uow import UnitOfWork

router = Blueprint("surveys")
router.filter("message", RoleFilter(Role.instructor, Role.liaison))
router.filter("callback_query", RoleFilter(Role.instructor, Role.liaison))
INSTRUCTOR = RoleFilter(Role.instructor)
instructor = router.scoped(INSTRUCTOR)  # the handlers only an instructor reaches
ICONS = {"draft": "📝", "scheduled": "⏳", "open": "🟢", "closed": "⚪"}


class Design(StatesGroup):
    topics = State()
    questions = State()
    opens = State()
    closes = State()


# ----- the case's surveys -----
async def show_list(
    ui: Ui, chat_id: int, uow: UnitOfWork, user: User, case_id: int, now: datetime
) -> None:
    found = await surveys.of_case(uow, user, case_id, now)
    rows = [
        [
            button(
                f"{ICONS[phase]} {survey.closes_at.astimezone(ui.renderer.zone):%m-%d} · "
                + ui.label("labels.survey_answers", n=count),
                SurveyCB(survey_id=survey.id or 0),
            )
        ]
        for survey, count, phase in found.surveys
    ]
    if found.editable:
        rows.append(
            [button(ui.label("labels.new_survey"), DesignCB(action="new", value=str(case_id)))]
        )
    rows.append([button(ui.label("labels.back_to_case"), CaseCB(case_id=case_id))])
    await ui.show(
        "surveys.list",
        keyboard(rows),
        enterprises="、".join(found.enterprises),
        surveys=[
            {
                "icon": ICONS[phase],
                "phase": ui.label(f"labels.survey_{phase}"),
                "closes": survey.closes_at,
                "answers": count,
            }
            for survey, count, phase in found.surveys
        ],
    )


@router.callback_query(SurveysCB.filter())
async def survey_list(query: CallbackQuery, callback_data: SurveysCB, ctx: Ctx) -> None:
    await ctx.form_state.clear()
    await show_list(
        ctx.ui, query.from_user.id, ctx.uow, ctx.member, callback_data.case_id, ctx.now()
    )


# ----- designing a survey -----
def _topics_markup(ui: Ui, chosen: list[dict[str, str]]) -> InlineKeyboardMarkup:
    keys = {t["key"] for t in chosen}
    art8 = [
        button(
            ("✅ " if key in keys else "▫️ ") + ui.topic(key),
            DesignCB(action=DesignAct.topic, value=key),
        )
        for key in ART8
    ]
    custom = [
        button(f"✅ {t['title']}"[:60], DesignCB(action=DesignAct.topic, value=f"#{index}"))
        for index, t in enumerate(chosen)
        if t["key"] == "custom"
    ]
    buttons = art8 + custom
    rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    rows.append(
        [
            button(ui.label("labels.cancel"), DesignCB(action=DesignAct.cancel)),
            button(ui.label("labels.next"), DesignCB(action=DesignAct.next)),
        ]
    )
    return keyboard(rows)


def _questions_markup(ui: Ui, chosen: list[str]) -> InlineKeyboardMarkup:
    rows = [
        [
            button(
                ("✅ " if q in chosen else "▫️ ") + ui.label(f"labels.question_{q}"),
                DesignCB(action=DesignAct.question, value=q),
            )
        ]
        for q in surveys.QUESTIONS
    ]
    rows.append(
        [
            button(ui.label("labels.back"), DesignCB(action=DesignAct.back)),
            button(ui.label("labels.next"), DesignCB(action=DesignAct.next)),
        ]
    )
    return keyboard(rows)


async def _ask(
    ui: Ui, state: FSMContext, chat_id: int, settings: Settings, message: Message | None = None
) -> None:
    """Show the design step the form is at (editing the button message when there is one)."""
    step = (await state.get_state() or "").rpartition(":")[2]
    data = await state.get_data()
    if step == "topics":
        markup = _topics_markup(ui, data["topics"])
        count, most = len(data["topics"]), settings.survey_max_topics
        await ui.edit_or_send(
            message, chat_id, "surveys.design_topics", markup, count=count, most=most
        )
    elif step == "questions":
        markup = _questions_markup(ui, data["questions"])
        await ui.edit_or_send(message, chat_id, "surveys.design_questions", markup)
    elif step == "opens":
        rows = [
            [
                button(
                    ui.label("labels.open_on_publish"),
                    DesignCB(action=DesignAct.opens, value="now"),
                )
            ],
            [button(ui.label("labels.back"), DesignCB(action=DesignAct.back))],
        ]
        await ui.show("surveys.design_opens", keyboard(rows))
    else:
        quick = [
            button(
                ui.label("labels.close_in_days", n=days), DesignCB(action="closes", value=str(days))
            )
            for days in (3, settings.survey_default_days, 14)
        ]
        rows = [quick, [button(ui.label("labels.back"), DesignCB(action=DesignAct.back))]]
        await ui.show("surveys.design_closes", keyboard(rows))


async def _go(state: FSMContext, step: State) -> None:
    await state.set_state(step)


@instructor.callback_query(DesignCB.filter(F.action == DesignAct.new))
async def new_survey(query: CallbackQuery, callback_data: DesignCB, ctx: Ctx) -> None:
    case_id = button_int(callback_data.value, 1, 2**31 - 1) or 0
    topics = await surveys.design_start(ctx.uow, ctx.member, case_id)
    await ctx.form_state.set_state(Design.topics)
    await ctx.form_state.set_data(
        {"case_id": case_id, "topics": topics, "questions": list(surveys.QUESTIONS)}
    )
    await _ask(ctx.ui, ctx.form_state, query.from_user.id, ctx.settings)


@instructor.callback_query(Design.topics, DesignCB.filter(F.action == DesignAct.topic))
async def toggle_topic(query: CallbackQuery, callback_data: DesignCB, ctx: Ctx) -> None:
    data = await ctx.form_state.get_data()
    value = callback_data.value
    index = button_int(value[1:], 0, 100) if value.startswith("#") else None
    if index is not None:
        topics = [t for i, t in enumerate(data["topics"]) if i != index]
    else:
        topics = surveys.toggle_topic(data["topics"], value)
    await ctx.form_state.update_data(topics=topics)
    await _ask(ctx.ui, ctx.form_state, query.from_user.id, ctx.settings)


@instructor.message(Design.topics, TEXT_INPUT)
async def custom_topic(message: Message, ctx: Ctx) -> None:
    data = await ctx.form_state.get_data()
    try:
        topics = surveys.add_custom_topic(
            data["topics"], message.text or "", ctx.settings.survey_max_topics
        )
    except Problem as problem:
        await ctx.ui.send(message.chat.id, problem.key, **problem.params)
        await _ask(
            ctx.ui, ctx.form_state, message.chat.id, ctx.settings
        )  # the question again, below
        return
    await ctx.form_state.update_data(topics=topics)
    await _ask(ctx.ui, ctx.form_state, message.chat.id, ctx.settings)


@instructor.callback_query(Design.questions, DesignCB.filter(F.action == DesignAct.question))
async def toggle_question(query: CallbackQuery, callback_data: DesignCB, ctx: Ctx) -> None:
    chosen = list((await ctx.form_state.get_data())["questions"])
    value = callback_data.value
    chosen = [q for q in chosen if q != value] if value in chosen else [*chosen, value]
    await ctx.form_state.update_data(questions=[q for q in surveys.QUESTIONS if q in chosen])
    await _ask(ctx.ui, ctx.form_state, query.from_user.id, ctx.settings)


STEPS = (Design.topics, Design.questions, Design.opens, Design.closes)


@instructor.callback_query(DesignCB.filter(F.action.in_({DesignAct.next, DesignAct.back})))
async def step(query: CallbackQuery, callback_data: DesignCB, ctx: Ctx) -> None:
    current = await ctx.form_state.get_state()
    index = next((i for i, s in enumerate(STEPS) if s.state == current), None)
    if index is None:
        raise Problem("common.expired_button")
    data = await ctx.form_state.get_data()
    if callback_data.action == "next" and index == 1:
        surveys.check_design(data["topics"], data["questions"], ctx.settings.survey_max_topics)
    if callback_data.action == "next" and index == 0 and len(data["topics"]) < 2:
        raise Problem("surveys.few_topics", least=2)
    index = min(index + 1, 3) if callback_data.action == "next" else max(index - 1, 0)
    await _go(ctx.form_state, STEPS[index])
    await _ask(ctx.ui, ctx.form_state, query.from_user.id, ctx.settings)


@instructor.callback_query(Design.opens, DesignCB.filter(F.action == DesignAct.opens))
async def opens_on_publish(query: CallbackQuery, ctx: Ctx) -> None:
    await ctx.form_state.update_data(opens_at=None)
    await _go(ctx.form_state, Design.closes)
    await _ask(ctx.ui, ctx.form_state, query.from_user.id, ctx.settings)


@instructor.message(Design.opens, TEXT_INPUT)
async def opens_typed(message: Message, ctx: Ctx) -> None:
    try:
        opens = surveys.parse_opens(message.text or "", ctx.now(), ctx.settings.zone)
    except Problem as problem:
        await ctx.ui.send(message.chat.id, problem.key, **problem.params)
        await _ask(
            ctx.ui, ctx.form_state, message.chat.id, ctx.settings
        )  # the question again, below
        return
    await ctx.form_state.update_data(opens_at=opens.isoformat())
    await _go(ctx.form_state, Design.closes)
    await _ask(ctx.ui, ctx.form_state, message.chat.id, ctx.settings)


async def _create(
    ui: Ui,
    chat_id: int,
    state: FSMContext,
    uow: UnitOfWork,
    user: User,
    closes: datetime,
    clock: Clock,
    settings: Settings,
) -> None:
    data = await state.get_data()
    opens = datetime.fromisoformat(data["opens_at"]) if data.get("opens_at") else None
    survey = await surveys.create(
        uow,
        user,
        int(data["case_id"]),
        data["topics"],
        data["questions"],
        opens,
        closes,
        clock.now(),
        settings,
    )
    await state.clear()
    await show_card(ui, chat_id, await surveys.card(uow, user, survey.id or 0, clock.now()))


@instructor.callback_query(Design.closes, DesignCB.filter(F.action == DesignAct.closes))
async def closes_quick(query: CallbackQuery, callback_data: DesignCB, ctx: Ctx) -> None:
    days = button_int(callback_data.value, 1, 90) or ctx.settings.survey_default_days
    closes = surveys.closes_in(days, ctx.now(), ctx.settings.zone)
    await _create(
        ctx.ui,
        query.from_user.id,
        ctx.form_state,
        ctx.uow,
        ctx.member,
        closes,
        ctx.clock,
        ctx.settings,
    )


@instructor.message(Design.closes, TEXT_INPUT)
async def closes_typed(message: Message, ctx: Ctx) -> None:
    data = await ctx.form_state.get_data()
    opens = datetime.fromisoformat(data["opens_at"]) if data.get("opens_at") else None
    try:
        closes = surveys.parse_closes(message.text or "", ctx.now(), ctx.settings.zone, opens)
    except Problem as problem:
        await ctx.ui.send(message.chat.id, problem.key, **problem.params)
        await _ask(
            ctx.ui, ctx.form_state, message.chat.id, ctx.settings
        )  # the question again, below
        return
    await _create(
        ctx.ui,
        message.chat.id,
        ctx.form_state,
        ctx.uow,
        ctx.member,
        closes,
        ctx.clock,
        ctx.settings,
    )


@instructor.callback_query(DesignCB.filter(F.action == DesignAct.cancel))
async def cancel_design(query: CallbackQuery, ctx: Ctx) -> None:
    case_id = int((await ctx.form_state.get_data()).get("case_id", 0))
    await ctx.form_state.clear()
    if case_id:
        await show_list(ctx.ui, query.from_user.id, ctx.uow, ctx.member, case_id, ctx.now())


@instructor.message(Design.topics)
@instructor.message(Design.questions)
@instructor.message(Design.opens)
@instructor.message(Design.closes)
async def design_needs_input(message: Message, ctx: Ctx) -> None:
    await ctx.ui.send(message.chat.id, "surveys.design_use_buttons")
    await _ask(ctx.ui, ctx.form_state, message.chat.id, ctx.settings)


# ----- the survey card -----
def _card_markup(ui: Ui, card: surveys.SurveyCard) -> InlineKeyboardMarkup:
    sid = card.survey.id or 0

    def act(action: SurveyAct) -> Any:
        return button(
            ui.label(f"labels.survey_{action.value}"), SurveyCB(survey_id=sid, action=action)
        )

    rows: list[list[Any]] = []
    if card.phase == "draft" and card.editable:
        rows += [[act(SurveyAct.preview), act(SurveyAct.publish)]]
        rows += [[act(SurveyAct.discard)]]
    if card.phase in ("scheduled", "open"):
        rows += [[act(SurveyAct.share), act(SurveyAct.poster)]]
    if card.phase != "draft":
        rows += [[act(SurveyAct.results), act(SurveyAct.export)]]
    if card.phase in ("scheduled", "open") and card.editable:
        rows += [[act(SurveyAct.preview), act(SurveyAct.close)]]
    rows.append(
        [button(ui.label("labels.back_to_surveys"), SurveysCB(case_id=card.survey.case_id))]
    )
    return keyboard(rows)


async def show_card(
    ui: Ui, chat_id: int, card: surveys.SurveyCard, link: str | None = None
) -> None:
    survey = card.survey
    await ui.show(
        "surveys.card",
        _card_markup(ui, card),
        enterprises="、".join(card.enterprises),
        icon=ICONS[card.phase],
        phase=ui.label(f"labels.survey_{card.phase}"),
        topics=[ui.topic(t["key"], t["title"]) for t in survey.topics],
        questions=[ui.label(f"labels.question_{q}") for q in survey.questions],
        opens=survey.opens_at or survey.published_at,
        closes=survey.closed_at or survey.closes_at,
        answers=card.answers,
        link=link,
    )


@router.callback_query(SurveyCB.filter(F.action == SurveyAct.card))
async def survey_card(query: CallbackQuery, callback_data: SurveyCB, ctx: Ctx) -> None:
    await ctx.form_state.clear()
    await show_card(
        ctx.ui,
        query.from_user.id,
        await surveys.card(ctx.uow, ctx.member, callback_data.survey_id, ctx.now()),
    )


@instructor.callback_query(SurveyCB.filter(F.action == SurveyAct.publish))
async def publish(query: CallbackQuery, callback_data: SurveyCB, bot: Bot, ctx: Ctx) -> None:
    card = await surveys.publish(
        ctx.uow, ctx.member, callback_data.survey_id, ctx.now(), ctx.settings
    )
    await show_card(
        ctx.ui, query.from_user.id, card, await create_start_link(bot, card.survey.token)
    )


@instructor.callback_query(SurveyCB.filter(F.action == SurveyAct.close))
async def close(
    query: CallbackQuery, callback_data: SurveyCB, survey_keys: SurveyKeys, ctx: Ctx
) -> None:
    card = await surveys.close(
        ctx.uow, ctx.member, callback_data.survey_id, ctx.now(), ctx.settings, survey_keys
    )
    await ctx.ui.send(query.from_user.id, "surveys.closed_now", answers=card.answers)
    await show_card(ctx.ui, query.from_user.id, card)


@instructor.callback_query(SurveyCB.filter(F.action == SurveyAct.discard))
async def discard(query: CallbackQuery, callback_data: SurveyCB, ctx: Ctx) -> None:
    case_id = await surveys.discard(ctx.uow, ctx.member, callback_data.survey_id)
    await ctx.ui.send(query.from_user.id, "surveys.discarded")
    await show_list(ctx.ui, query.from_user.id, ctx.uow, ctx.member, case_id, ctx.now())


# ----- sharing -----
async def _with_qr(
    uow: UnitOfWork, user: User, survey_id: int, clock: Clock, bot: Bot, offload: Offloader
) -> tuple[surveys.SurveyCard, str, bytes]:
    """The survey's card, its deep link, and the link as a QR code image."""
    card = await surveys.card(uow, user, survey_id, clock.now())
    link = await create_start_link(bot, card.survey.token)
    return card, link, await offload.run(charts.qr_png, link)


@router.callback_query(SurveyCB.filter(F.action == SurveyAct.share), flags=SENDS_PHOTO)
async def share(
    query: CallbackQuery, callback_data: SurveyCB, bot: Bot, offload: Offloader, ctx: Ctx
) -> None:
    card, link, png = await _with_qr(
        ctx.uow, ctx.member, callback_data.survey_id, ctx.clock, bot, offload
    )
    await bot.send_photo(
        query.from_user.id,
        BufferedInputFile(png, filename="survey-qr.png"),
        caption=ctx.ui.text("surveys.share_caption", link=link, closes=card.survey.closes_at),
    )


@router.callback_query(SurveyCB.filter(F.action == SurveyAct.poster), flags=SENDS_FILE)
async def poster(
    query: CallbackQuery,
    callback_data: SurveyCB,
    bot: Bot,
    offload: Offloader,
    documents: Documents,
    ctx: Ctx,
) -> None:
    card, link, png = await _with_qr(
        ctx.uow, ctx.member, callback_data.survey_id, ctx.clock, bot, offload
    )
    enterprise = "、".join(card.enterprises)
    context = {
        "union": card.union,
        "heading": ctx.ui.label("labels.poster_heading"),
        "enterprise": enterprise,
        "question": ctx.ui.label("labels.poster_question"),
        "scan": ctx.ui.label("labels.poster_scan"),
        "link": link,
        "closes": ctx.ui.label(
            "labels.poster_closes", at=ctx.ui.renderer.format_datetime(card.survey.closes_at)
        ),
        "privacy": ctx.ui.label("labels.poster_privacy", k=ctx.settings.survey_min_answers),
    }
    data = await documents.render("survey_poster", context, {"qr": (png, 90)})
    name = f"{ctx.ui.label('labels.poster_file')}-{enterprise[:20]}.docx"
    await bot.send_document(
        query.from_user.id,
        BufferedInputFile(data, filename=name),
        caption=ctx.ui.text("surveys.poster_caption"),
    )


# ----- results -----
@router.callback_query(SurveyCB.filter(F.action == SurveyAct.results), flags=SENDS_PHOTO)
async def results(
    query: CallbackQuery, callback_data: SurveyCB, bot: Bot, offload: Offloader, ctx: Ctx
) -> None:
    found = await survey_results.results(
        ctx.uow, ctx.member, callback_data.survey_id, ctx.now(), ctx.settings
    )
    survey_id = callback_data.survey_id
    back = keyboard(
        [
            [
                button(
                    ctx.ui.label("labels.survey_export"),
                    SurveyCB(survey_id=survey_id, action=SurveyAct.export),
                )
            ],
            [button(ctx.ui.label("labels.back_to_survey"), SurveyCB(survey_id=survey_id))],
        ]
    )
    await ctx.ui.show("surveys.results", back, **views.results_context(ctx.ui, found))
    panels = views.chart_panels(ctx.ui, found)
    if panels:
        png = await offload.run(charts.bar_charts, panels, views.chart_title(ctx.ui, found))
        await bot.send_photo(query.from_user.id, BufferedInputFile(png, filename="results.png"))


@router.callback_query(SurveyCB.filter(F.action == SurveyAct.export), flags=SENDS_FILE)
async def export(
    query: CallbackQuery, callback_data: SurveyCB, bot: Bot, offload: Offloader, ctx: Ctx
) -> None:
    found, rows = await survey_results.export_rows(
        ctx.uow, ctx.member, callback_data.survey_id, ctx.now(), ctx.settings
    )
    data = await offload.run(workbook, views.workbook_sheets(ctx.ui, found, rows))
    await bot.send_document(
        query.from_user.id,
        BufferedInputFile(
            data, filename=views.file_name(ctx.ui, "xlsx_file", found, ctx.now(), "xlsx")
        ),
        caption=ctx.ui.text("surveys.export_caption", total=found.total),
    )
