"""A worker answering a survey from its link: what is stored, the questions with buttons,
a confirm step, thanks. Open to anyone with the link, member or not; nothing here reaches
other data. The survey's author walks the same pages as a preview, which stores nothing.

The page's state (survey id, token, answers so far) lives in the FSM storage until the
worker confirms or leaves, so a restart loses nothing; then it is deleted."""

from __future__ import annotations

from typing import Any

from aiogram import F
from aiogram.filters import CommandObject, CommandStart
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

from bot.callbacks import AnswerCB, SurveyCB, SurveyGoCB
from bot.clock import Clock
from bot.services import surveys
from bot.services.errors import Problem
from bot.services.surveys import Answer, Invitation
from bot.ui import Ui, button, keyboard
from handlers.blueprint import Blueprint
from handlers.filters import TEXT_INPUT, RoleFilter
from storage.models import Role, Survey, User
from storage.uow import UnitOfWork

router = Blueprint("answers")
INSTRUCTOR = RoleFilter(Role.instructor)


class Answering(StatesGroup):
    question = State()
    confirm = State()


def _message(query: CallbackQuery) -> Message | None:
    return query.message if isinstance(query.message, Message) else None


# ----- the pages -----
async def show_invitation(ui: Ui, chat_id: int, found: Invitation, preview: bool) -> None:
    survey = found.survey
    start = SurveyGoCB(token=survey.token, start=True)
    await ui.send(
        chat_id,
        "surveys.intro",
        keyboard([[button(ui.label("labels.start_survey"), start)]]),
        preview=preview,
        enterprises="、".join(found.enterprises),
        count=len(survey.questions),
        closes=survey.closes_at,
        answered=found.answered,
        comment="comment" in survey.questions,
    )


def _question_markup(ui: Ui, survey: Survey, answer: Answer, question: str) -> InlineKeyboardMarkup:
    sid = survey.id or 0
    titles = [ui.topic(t["key"], t["title"]) for t in survey.topics]
    rows: list[list[Any]] = []
    if question == "topics":
        picks = [
            button(
                ("✅ " if i in answer.topics else "▫️ ") + title, AnswerCB(sid=sid, q="t", v=str(i))
            )
            for i, title in enumerate(titles)
        ]
        rows = [picks[i : i + 2] for i in range(0, len(picks), 2)]
        rows.append([button(ui.label("labels.done_picking"), AnswerCB(sid=sid, q="td"))])
    elif question == "rank":
        pool = [i for i in surveys.rank_pool(survey, answer) if i not in answer.rank]
        rows = [[button(titles[i], AnswerCB(sid=sid, q="r", v=str(i)))] for i in pool]
        if answer.rank:
            rows.append([button(ui.label("labels.undo_rank"), AnswerCB(sid=sid, q="ru"))])
    elif question == "rise":
        quick = [
            button(f"{tenths // 10}%", AnswerCB(sid=sid, q="rise", v=str(tenths)))
            for tenths in surveys.rise_choices(survey.rise_max)
        ]
        rows = [quick[i : i + 4] for i in range(0, len(quick), 4)]
        rows.append([button(ui.label("labels.prefer_not"), AnswerCB(sid=sid, q="rise", v="-"))])
    elif question == "stratum":
        rows = [
            [button(ui.label(f"labels.stratum_{s}"), AnswerCB(sid=sid, q="st", v=s))]
            for s in surveys.STRATA
        ]
        rows.append([button(ui.label("labels.prefer_not"), AnswerCB(sid=sid, q="st", v="-"))])
    else:
        rows = [[button(ui.label("labels.skip"), AnswerCB(sid=sid, q="cm", v="-"))]]
    rows.append([button(ui.label("labels.leave_survey"), AnswerCB(sid=sid, q="x"))])
    return keyboard(rows)


def _summary(ui: Ui, survey: Survey, answer: Answer) -> dict[str, Any]:
    titles = [ui.topic(t["key"], t["title"]) for t in survey.topics]
    return {
        "asked": survey.questions,
        "topics": [titles[i] for i in answer.topics],
        "rank": [titles[i] for i in answer.rank],
        "rise": None if answer.rise is None else answer.rise / 10,
        "stratum": ui.label(f"labels.stratum_{answer.stratum}") if answer.stratum else None,
        "comment": answer.comment,
    }


async def show_page(
    ui: Ui,
    chat_id: int,
    state: FSMContext,
    survey: Survey,
    answer: Answer,
    message: Message | None = None,
) -> None:
    """The next question, or the confirm page once every question is answered."""
    data = await state.update_data(a=answer.dump())
    question = surveys.next_question(survey, answer)
    if question is None:
        await state.set_state(Answering.confirm)
        sid = survey.id or 0
        rows = [
            [button(ui.label("labels.submit_answer"), AnswerCB(sid=sid, q="ok"))],
            [
                button(ui.label("labels.start_over"), AnswerCB(sid=sid, q="re")),
                button(ui.label("labels.leave_survey"), AnswerCB(sid=sid, q="x")),
            ],
        ]
        await ui.send(
            chat_id,
            "surveys.confirm",
            keyboard(rows),
            preview=bool(data.get("preview")),
            **_summary(ui, survey, answer),
        )
        return
    await state.set_state(Answering.question)
    number = survey.questions.index(question) + 1
    context = {
        "number": number,
        "count": len(survey.questions),
        "position": len(answer.rank) + 1,
        "needed": surveys.rank_needed(survey, answer),
        "ranked": [ui.topic(**survey.topics[i]) for i in answer.rank],
        "chosen": len(answer.topics),
        "max": survey.rise_max if question == "rise" else surveys.COMMENT_MAX,
    }
    markup = _question_markup(ui, survey, answer, question)
    # A toggle edits the page in place; a new question arrives as a new message.
    edit = message if question == "topics" and answer.topics else None
    await ui.edit_or_send(edit, chat_id, f"surveys.q_{question}", markup, **context)


async def _begin(ui: Ui, chat_id: int, state: FSMContext, survey: Survey, preview: bool) -> None:
    await state.set_state(Answering.question)
    await state.set_data({"sid": survey.id, "token": survey.token, "preview": preview})
    await show_page(ui, chat_id, state, survey, Answer())


# ----- opening a link -----
@router.message(CommandStart(deep_link=True, magic=F.args.startswith(surveys.TOKEN_PREFIX)))
async def open_link(
    message: Message,
    command: CommandObject,
    state: FSMContext,
    uow: UnitOfWork,
    ui: Ui,
    clock: Clock,
) -> None:
    assert message.from_user is not None
    token = (command.args or "").strip()
    current, data = await state.get_state(), await state.get_data()
    if current is not None and data.get("token") == token and not data.get("preview"):
        try:  # the same link again in the middle of answering: back to the current page
            survey, answer, _ = await _current(state, uow, int(data["sid"]), clock)
        except Problem as problem:
            await _tell(ui, message.chat.id, problem, state)
            return
        await show_page(ui, message.chat.id, state, survey, answer)
        return
    if current is not None:
        # Something unfinished (another survey, or a form): ask before dropping it.
        rows = [
            [button(ui.label("labels.open_new_survey"), SurveyGoCB(token=token))],
            [button(ui.label("labels.keep_current"), AnswerCB(sid=0, q="keep"))],
        ]
        await ui.send(message.chat.id, "surveys.unfinished", keyboard(rows))
        return
    try:
        found = await surveys.invitation(uow, token, message.from_user.id, clock.now())
    except Problem as problem:
        await ui.send(message.chat.id, problem.key, **problem.params)
        return
    await show_invitation(ui, message.chat.id, found, preview=False)


@router.callback_query(SurveyGoCB.filter())
async def go(
    query: CallbackQuery,
    callback_data: SurveyGoCB,
    state: FSMContext,
    uow: UnitOfWork,
    ui: Ui,
    clock: Clock,
) -> None:
    await query.answer()
    data = await state.get_data()
    preview = bool(data.get("preview")) and data.get("token") == callback_data.token
    try:
        if preview:
            survey = await surveys.answering(
                uow, int(data["sid"]), callback_data.token, clock.now(), preview=True
            )
            found = Invitation(survey, [], False)
        else:
            found = await surveys.invitation(
                uow, callback_data.token, query.from_user.id, clock.now()
            )
    except Problem as problem:
        await ui.send(query.from_user.id, problem.key, **problem.params)
        return
    if not callback_data.start:
        await state.clear()
        await show_invitation(ui, query.from_user.id, found, preview=False)
        return
    await _begin(ui, query.from_user.id, state, found.survey, preview)


@router.callback_query(SurveyCB.filter(F.action == "preview"), INSTRUCTOR)
async def preview(
    query: CallbackQuery,
    callback_data: SurveyCB,
    state: FSMContext,
    uow: UnitOfWork,
    user: User,
    ui: Ui,
) -> None:
    found = await surveys.preview(uow, user, callback_data.survey_id)
    await state.set_state(Answering.question)
    await state.set_data({"sid": found.survey.id, "token": found.survey.token, "preview": True})
    await query.answer()
    await show_invitation(ui, query.from_user.id, found, preview=True)


# ----- answering -----
async def _current(
    state: FSMContext, uow: UnitOfWork, sid: int, clock: Clock
) -> tuple[Survey, Answer, bool]:
    """The survey this page belongs to and the answer so far; `surveys.stale` for a button
    from a page that is over or from another survey."""
    data = await state.get_data()
    if await state.get_state() is None or data.get("sid") != sid or "token" not in data:
        raise Problem("surveys.stale")
    preview = bool(data.get("preview"))
    survey = await surveys.answering(uow, sid, str(data["token"]), clock.now(), preview)
    return survey, Answer.load(data.get("a", {})), preview


async def _tell(ui: Ui, chat_id: int, problem: Problem, state: FSMContext) -> None:
    """Say what went wrong; a survey that closed or vanished ends the page."""
    if problem.key in ("surveys.closed", "surveys.unknown"):
        await state.clear()
    await ui.send(chat_id, problem.key, **problem.params)


@router.callback_query(AnswerCB.filter(F.q == "keep"))
async def keep_current(query: CallbackQuery, ui: Ui) -> None:
    await query.answer()
    await ui.send(query.from_user.id, "surveys.kept")


@router.callback_query(AnswerCB.filter(F.q == "x"))
async def leave(query: CallbackQuery, callback_data: AnswerCB, state: FSMContext, ui: Ui) -> None:
    data = await state.get_data()
    await query.answer()
    if data.get("sid") != callback_data.sid:
        await ui.send(query.from_user.id, "surveys.stale")
        return
    await state.clear()
    back = None
    if data.get("preview"):
        back = keyboard(
            [[button(ui.label("labels.back_to_survey"), SurveyCB(survey_id=callback_data.sid))]]
        )
    await ui.send(query.from_user.id, "surveys.left", back)


@router.callback_query(AnswerCB.filter(F.q == "ok"))
async def submit(
    query: CallbackQuery,
    callback_data: AnswerCB,
    state: FSMContext,
    uow: UnitOfWork,
    ui: Ui,
    clock: Clock,
) -> None:
    await query.answer()
    try:
        survey, answer, preview = await _current(state, uow, callback_data.sid, clock)
        replaced = False
        if not preview:
            replaced = await surveys.submit(
                uow, survey.id or 0, survey.token, query.from_user.id, answer, clock.now()
            )
    except Problem as problem:
        await _tell(ui, query.from_user.id, problem, state)
        return
    await state.clear()
    if preview:
        back = keyboard(
            [[button(ui.label("labels.back_to_survey"), SurveyCB(survey_id=survey.id or 0))]]
        )
        await ui.send(query.from_user.id, "surveys.preview_done", back)
        return
    await ui.send(query.from_user.id, "surveys.thanks", replaced=replaced, closes=survey.closes_at)


@router.callback_query(AnswerCB.filter())
async def press(
    query: CallbackQuery,
    callback_data: AnswerCB,
    state: FSMContext,
    uow: UnitOfWork,
    ui: Ui,
    clock: Clock,
) -> None:
    try:
        survey, answer, _ = await _current(state, uow, callback_data.sid, clock)
        answer = surveys.apply(survey, answer, callback_data.q, callback_data.v)
    except Problem as problem:
        await query.answer()
        await _tell(ui, query.from_user.id, problem, state)
        return
    await query.answer()
    await show_page(ui, query.from_user.id, state, survey, answer, _message(query))


@router.message(Answering.question, TEXT_INPUT)
async def typed(message: Message, state: FSMContext, uow: UnitOfWork, ui: Ui, clock: Clock) -> None:
    data = await state.get_data()
    try:
        survey, answer, _ = await _current(state, uow, int(data.get("sid", 0)), clock)
    except Problem as problem:
        await _tell(ui, message.chat.id, problem, state)
        return
    try:
        surveys.apply_text(survey, answer, message.text or "")
    except Problem as problem:
        await ui.send(message.chat.id, problem.key, **problem.params)
        answer = Answer.load(data.get("a", {}))  # unchanged; ask the same question again
    await show_page(ui, message.chat.id, state, survey, answer)


@router.message(Answering.question)
@router.message(Answering.confirm)
async def use_buttons(message: Message, ui: Ui) -> None:
    await ui.send(message.chat.id, "surveys.use_buttons")
