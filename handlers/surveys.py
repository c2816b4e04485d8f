"""Surveys for instructors and liaisons: design one on a case (topics, questions, opening and
closing), publish it, share its link, QR code and poster, and read the results as text, a
chart and an Excel workbook. The worker's side is in handlers/answers.py."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aiogram import Bot, F
from aiogram.types import BufferedInputFile, CallbackQuery, InlineKeyboardMarkup
from aiogram.utils.deep_linking import create_start_link

from bot.callbacks import CaseCB, NewSurveyCB, SurveyAct, SurveyCB, SurveysCB
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
from handlers.filters import SENDS_FILE, SENDS_PHOTO, RoleFilter
from handlers.forms import Env, Form, Step, StepContext
from storage.models import Role, User
from storage.uow import UnitOfWork

router = Blueprint("surveys")
router.filter("message", RoleFilter(Role.instructor, Role.liaison))
router.filter("callback_query", RoleFilter(Role.instructor, Role.liaison))
INSTRUCTOR = RoleFilter(Role.instructor)
instructor = router.scoped(INSTRUCTOR)  # the handlers only an instructor reaches
ICONS = {"draft": "📝", "scheduled": "⏳", "open": "🟢", "closed": "⚪"}


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
        rows.append([button(ui.label("labels.new_survey"), NewSurveyCB(case_id=case_id))])
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
# A form (handlers/forms.py):
#
# ```mermaid
# stateDiagram-v2
#     [*] --> topics: 新建问卷 (the case's topics ticked)
#     topics --> topics: tick / type a topic of one's own
#     topics --> questions: done (at most SURVEY_MAX_TOPICS)
#     questions --> opens: done (the topics the questions need)
#     opens --> closes: on publishing / a moment typed
#     closes --> review: in 3, 7, 14 days / a moment typed
#     review --> topics: ✏️ (and back to the review)
#     review --> [*]: 提交: a draft survey
#     topics --> [*]: 取消
# ```
def _topic_options(context: StepContext) -> list[tuple[str, str]]:
    """Art. 8's topics, those the case brought with it, and the ones typed ("#0", "#1"…:
    a title would not fit in a button's 64 bytes)."""
    ui = context.ui
    brought = [t["key"] for t in context.form.get("_start", []) if t["key"] != "custom"]
    keys = list(dict.fromkeys([*ART8, *brought]))
    options = [(ui.topic(key) if ui else key, key) for key in keys]
    options += [(title, f"#{i}") for i, title in enumerate(context.form.get("_custom", []))]
    return options


def _chosen_topics(values: list[str], context: StepContext) -> list[dict[str, str]]:
    custom = context.form.get("_custom", [])
    return [
        surveys.topic_entry("custom", custom[int(v[1:])])
        if v.startswith("#")
        else surveys.topic_entry(v)
        for v in values
    ]


def _collect_topics(picked: list[tuple[str, str]], context: StepContext) -> dict[str, Any]:
    topics = _chosen_topics([value for _, value in picked], context)
    questions = [q for q in surveys.QUESTIONS if q in context.form.get("_tick_questions", [])]
    surveys.check_design(topics, questions, context.settings.survey_max_topics)
    return {"topics": topics}


def _add_topic(text: str, context: StepContext) -> tuple[str, dict[str, Any]]:
    custom = list(context.form.get("_custom", []))
    ticked = _chosen_topics(context.form.get("_tick_topics", []), context)
    added = surveys.add_custom_topic(ticked, text, context.settings.survey_max_topics)[-1]
    custom.append(added["title"])
    return f"#{len(custom) - 1}", {"_custom": custom}


def _question_options(context: StepContext) -> list[tuple[str, str]]:
    ui = context.ui
    return [(ui.label(f"labels.question_{q}") if ui else q, q) for q in surveys.QUESTIONS]


def _collect_questions(picked: list[tuple[str, str]], context: StepContext) -> dict[str, Any]:
    chosen = {value for _, value in picked}
    questions = [q for q in surveys.QUESTIONS if q in chosen]
    topics = context.form.get("topics", [])
    surveys.check_design(topics, questions, context.settings.survey_max_topics)
    return {"questions": questions}


def _opens(text: str, context: StepContext) -> str:
    """ "now" (the quick pick): when it is published; or a moment typed."""
    if text == "now":
        return ""
    return surveys.parse_opens(text, context.now, context.settings.zone).isoformat()


def _close_offers(context: StepContext) -> list[tuple[str, str]]:
    ui = context.ui
    days = sorted({3, context.settings.survey_default_days, 14})
    return [(ui.label("labels.close_in_days", n=d) if ui else str(d), f"+{d}") for d in days]


def _closes(text: str, context: StepContext) -> str:
    """ "+7" (a quick pick): 18:00 in seven days; or a moment typed, after the opening."""
    zone, now = context.settings.zone, context.now
    opens_text = context.form.get("opens") or ""
    opens = datetime.fromisoformat(opens_text) if opens_text else None
    days = button_int(text[1:], 1, 90) if text.startswith("+") else None
    if days is not None:
        closes = surveys.closes_in(days, now, zone)
        if closes <= max(now, opens or now):
            raise Problem("surveys.closes_too_soon")
        return closes.isoformat()
    return surveys.parse_closes(text, now, zone, opens).isoformat()


def _design_summary(ui: Ui, context: StepContext) -> dict[str, Any]:
    form = context.form
    return {
        "topics": [ui.topic(t["key"], t.get("title", "")) for t in form.get("topics", [])],
        "questions": [ui.label(f"labels.question_{q}") for q in form.get("questions", [])],
        "opens": datetime.fromisoformat(form["opens"]) if form.get("opens") else None,
        "closes": datetime.fromisoformat(form["closes"]) if form.get("closes") else None,
    }


async def _create(query: CallbackQuery, form: dict[str, Any], ctx: Ctx) -> None:
    data = await ctx.form_state.get_data()
    now = ctx.now()
    survey = await surveys.create(
        ctx.uow,
        ctx.member,
        int(data["case_id"]),
        form["topics"],
        form["questions"],
        datetime.fromisoformat(form["opens"]) if form.get("opens") else None,
        datetime.fromisoformat(form["closes"]),
        now,
        ctx.settings,
    )
    await ctx.form_state.clear()
    await show_card(
        ctx.ui, query.from_user.id, await surveys.card(ctx.uow, ctx.member, survey.id or 0, now)
    )


DESIGN = Form(
    "sd",
    [
        Step(
            "topics",
            "surveys.design_topics",
            options=_topic_options,
            collect=_collect_topics,
            add=_add_topic,
        ),
        Step(
            "questions",
            "surveys.design_questions",
            options=_question_options,
            collect=_collect_questions,
        ),
        Step(
            "opens",
            "surveys.design_opens",
            parse=_opens,
            choices=(("labels.open_on_publish", "now"),),
        ),
        Step("closes", "surveys.design_closes", parse=_closes, offers=_close_offers),
    ],
    review="surveys.design_review",
    summary=_design_summary,
    submit=_create,
)
DESIGN.register(router, INSTRUCTOR)


@instructor.callback_query(NewSurveyCB.filter())
async def new_survey(query: CallbackQuery, callback_data: NewSurveyCB, ctx: Ctx) -> None:
    case_id = callback_data.case_id
    topics = await surveys.design_start(ctx.uow, ctx.member, case_id)
    custom = [t["title"] for t in topics if t["key"] == "custom"]
    ticked = [t["key"] for t in topics if t["key"] != "custom"]
    ticked += [f"#{i}" for i in range(len(custom))]
    await DESIGN.start(
        Env.of(ctx),
        {
            "case_id": case_id,
            "_start": topics,
            "_custom": custom,
            "_tick_topics": ticked,
            "_tick_questions": list(surveys.QUESTIONS),
            "_most": ctx.settings.survey_max_topics,
        },
    )


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
        ctx.ui, query.from_user.id, card, await survey_link(bot, card.survey.token, ctx.settings)
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
async def survey_link(bot: Bot, token: str, settings: Settings) -> str:
    """The link a worker opens: the Mini App itself (t.me/<bot>/<app>?startapp=…) when it is
    registered with @BotFather and served, else the chat (?start=…), which offers the page."""
    if settings.webapp_name and settings.public_url:
        me = await bot.me()
        return f"https://t.me/{me.username}/{settings.webapp_name}?startapp={token}"
    return await create_start_link(bot, token)


async def _with_qr(
    uow: UnitOfWork,
    user: User,
    survey_id: int,
    clock: Clock,
    bot: Bot,
    offload: Offloader,
    settings: Settings,
) -> tuple[surveys.SurveyCard, str, bytes]:
    """The survey's card, its deep link, and the link as a QR code image."""
    card = await surveys.card(uow, user, survey_id, clock.now())
    link = await survey_link(bot, card.survey.token, settings)
    return card, link, await offload.run(charts.qr_png, link)


@router.callback_query(SurveyCB.filter(F.action == SurveyAct.share), flags=SENDS_PHOTO)
async def share(
    query: CallbackQuery, callback_data: SurveyCB, bot: Bot, offload: Offloader, ctx: Ctx
) -> None:
    card, link, png = await _with_qr(
        ctx.uow, ctx.member, callback_data.survey_id, ctx.clock, bot, offload, ctx.settings
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
        ctx.uow, ctx.member, callback_data.survey_id, ctx.clock, bot, offload, ctx.settings
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
