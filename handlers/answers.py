"""A worker answering a survey from its link: what is stored, the questions with buttons,
a confirm step, thanks. Open to anyone with the link, member or not; nothing here reaches
other data. The survey's author walks the same pages as a preview, which stores nothing.

The page (survey, answers so far) is a sealed draft found by a keyed hash of the Telegram
id (bot/services/surveys.py), never the conversation state, so a restart loses nothing and
a copy of the database links nothing to the worker; it is deleted on submit, leave, close
and by housekeeping."""

from __future__ import annotations

from typing import Any

from aiogram import F
from aiogram.filters import BaseFilter, CommandObject, CommandStart, StateFilter
from aiogram.types import (
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    WebAppInfo,
)

from bot.callbacks import AnswerCB, SurveyAct, SurveyCB, SurveyGoCB
from bot.context import Ctx
from bot.presentation.ui import Ui, button, keyboard
from bot.services import survey_answers, surveys
from bot.services.anonymity import HIDDEN, SurveyKeys
from bot.services.errors import Problem
from bot.services.survey_answers import Draft, Invitation, Press
from bot.services.surveys import Answer
from bot.settings import Settings
from handlers.blueprint import Blueprint
from handlers.filters import TEXT_INPUT, RoleFilter
from storage.models import Role, Survey
from storage.uow import UnitOfWork

router = Blueprint("answers")
INSTRUCTOR = RoleFilter(Role.instructor)
instructor = router.scoped(INSTRUCTOR)  # the handlers only an instructor reaches


class OnSurveyPage(BaseFilter):
    """The sender has a survey page open (a draft), handed to the handler as `draft`."""

    async def __call__(
        self, message: Message, uow: UnitOfWork, survey_keys: SurveyKeys
    ) -> bool | dict[str, Any]:
        if message.from_user is None:
            return False
        draft = await survey_answers.draft_of(uow, survey_keys, message.from_user.id)
        return {"draft": draft} if draft is not None else False


# ----- the pages -----
async def show_invitation(
    ui: Ui, chat_id: int, found: Invitation, preview: bool, settings: Settings
) -> None:
    survey = found.survey
    start = SurveyGoCB(token=survey.token, start=True)
    rows = [[button(ui.label("labels.start_survey"), start)]]
    if settings.public_url and not preview and not found.answered:
        # The whole survey as one page inside Telegram: no message per question.
        page = WebAppInfo(url=f"{settings.public_url}/app/survey?t={survey.token}")
        rows.insert(0, [InlineKeyboardButton(text=ui.label("labels.survey_page"), web_app=page)])
    await ui.show(
        "surveys.intro",
        keyboard(rows),
        preview=preview,
        enterprises="、".join(found.enterprises),
        count=len(survey.questions),
        closes=survey.closes_at,
        answered=found.answered,
        comment="comment" in survey.questions,
        k=settings.survey_min_answers,
    )


def _question_markup(ui: Ui, survey: Survey, answer: Answer, question: str) -> InlineKeyboardMarkup:
    sid = survey.id or 0
    titles = [ui.topic(t["key"], t["title"]) for t in survey.topics]
    rows: list[list[Any]] = []
    if question == "topics":
        picks = [
            button(
                ("✅ " if i in answer.topics else "▫️ ") + title,
                AnswerCB(survey_id=sid, press=Press.topic, value=str(i)),
            )
            for i, title in enumerate(titles)
        ]
        rows = [picks[i : i + 2] for i in range(0, len(picks), 2)]
        rows.append(
            [
                button(
                    ui.label("labels.done_picking"),
                    AnswerCB(survey_id=sid, press=Press.topics_done),
                )
            ]
        )
    elif question == "rank":
        pool = [i for i in surveys.rank_pool(survey, answer) if i not in answer.rank]
        rows = [
            [button(titles[i], AnswerCB(survey_id=sid, press=Press.rank, value=str(i)))]
            for i in pool
        ]
        if answer.rank:
            rows.append(
                [
                    button(
                        ui.label("labels.undo_rank"), AnswerCB(survey_id=sid, press=Press.rank_undo)
                    )
                ]
            )
    elif question == "rise":
        quick = [
            button(f"{tenths // 10}%", AnswerCB(survey_id=sid, press=Press.rise, value=str(tenths)))
            for tenths in survey_answers.rise_choices(survey.rise_max)
        ]
        rows = [quick[i : i + 4] for i in range(0, len(quick), 4)]
        rows.append(
            [
                button(
                    ui.label("labels.prefer_not"),
                    AnswerCB(survey_id=sid, press=Press.rise, value="-"),
                )
            ]
        )
    elif question == "stratum":
        rows = [
            [
                button(
                    ui.label(f"labels.stratum_{s}"),
                    AnswerCB(survey_id=sid, press=Press.stratum, value=s),
                )
            ]
            for s in surveys.STRATA
        ]
        rows.append(
            [
                button(
                    ui.label("labels.prefer_not"),
                    AnswerCB(survey_id=sid, press=Press.stratum, value="-"),
                )
            ]
        )
    else:
        rows = [
            [
                button(
                    ui.label("labels.skip"),
                    AnswerCB(survey_id=sid, press=Press.comment_skip, value="-"),
                )
            ]
        ]
    rows.append(
        [button(ui.label("labels.leave_survey"), AnswerCB(survey_id=sid, press=Press.leave))]
    )
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
    ui: Ui, chat_id: int, survey: Survey, draft: Draft, message: Message | None = None
) -> None:
    """The next question, or the confirm page once every question is answered."""
    answer = draft.answer
    question = surveys.next_question(survey, answer)
    if question is None:
        sid = survey.id or 0
        rows = [
            [button(ui.label("labels.submit_answer"), AnswerCB(survey_id=sid, press=Press.submit))]
        ]
        if "comment" in survey.questions:
            rows.append(
                [
                    button(
                        ui.label("labels.edit_comment"),
                        AnswerCB(survey_id=sid, press=Press.comment_edit),
                    )
                ]
            )
        rows.append(
            [
                button(ui.label("labels.start_over"), AnswerCB(survey_id=sid, press=Press.restart)),
                button(ui.label("labels.leave_survey"), AnswerCB(survey_id=sid, press=Press.leave)),
            ]
        )
        await ui.show(
            "surveys.confirm",
            keyboard(rows),
            preview=draft.preview,
            scrubbed=HIDDEN in answer.comment,
            **_summary(ui, survey, answer),
        )
        return
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


# ----- opening a link -----
@router.message(CommandStart(deep_link=True, magic=F.args.startswith(surveys.TOKEN_PREFIX)))
async def open_link(
    message: Message, command: CommandObject, survey_keys: SurveyKeys, ctx: Ctx
) -> None:
    assert message.from_user is not None
    token = (command.args or "").strip()
    worker = message.from_user.id
    draft = await survey_answers.draft_of(ctx.uow, survey_keys, worker)
    if draft is not None and draft.token == token and not draft.preview:
        try:  # the same link again in the middle of answering: back to the current page
            survey, draft = await survey_answers.current(
                ctx.uow, survey_keys, worker, None, ctx.now()
            )
        except Problem as problem:
            await ctx.ui.send(message.chat.id, problem.key, **problem.params)
            return
        await show_page(ctx.ui, message.chat.id, survey, draft)
        return
    if await ctx.form_state.get_state() is not None or draft is not None:
        # A form or another survey page is unfinished: ask before dropping it.
        rows = [
            [button(ctx.ui.label("labels.open_new_survey"), SurveyGoCB(token=token))],
            [button(ctx.ui.label("labels.keep_current"), AnswerCB(survey_id=0, press=Press.keep))],
        ]
        await ctx.ui.send(message.chat.id, "surveys.unfinished", keyboard(rows))
        return
    try:
        found = await survey_answers.invitation(ctx.uow, survey_keys, token, worker, ctx.now())
    except Problem as problem:
        await ctx.ui.send(message.chat.id, problem.key, **problem.params)
        return
    await show_invitation(ctx.ui, message.chat.id, found, False, ctx.settings)


@router.callback_query(SurveyGoCB.filter())
async def go(
    query: CallbackQuery, callback_data: SurveyGoCB, survey_keys: SurveyKeys, ctx: Ctx
) -> None:
    worker, now = query.from_user.id, ctx.now()
    draft = await survey_answers.draft_of(ctx.uow, survey_keys, worker)
    preview = draft is not None and draft.preview and draft.token == callback_data.token
    try:
        if preview:
            assert draft is not None
            survey = await survey_answers.answering(
                ctx.uow, draft.survey_id, draft.token, now, True
            )
            found = Invitation(survey, [], False)
        else:
            found = await survey_answers.invitation(
                ctx.uow, survey_keys, callback_data.token, worker, now
            )
    except Problem as problem:
        await ctx.ui.send(worker, problem.key, **problem.params)
        return
    await ctx.form_state.clear()  # a form the worker chose to drop for the survey
    if draft is not None and not preview and draft.token != callback_data.token:
        await survey_answers.drop_draft(
            ctx.uow, survey_keys, worker
        )  # another survey's page is over
    if not callback_data.start:
        await show_invitation(ctx.ui, worker, found, False, ctx.settings)
        return
    if found.answered:
        await ctx.ui.send(worker, "surveys.already_answered")
        return
    draft = await survey_answers.begin(
        ctx.uow, survey_keys, worker, found.survey, preview, now, ctx.settings.zone
    )
    await show_page(ctx.ui, worker, found.survey, draft)


@instructor.callback_query(SurveyCB.filter(F.action == SurveyAct.preview))
async def preview(
    query: CallbackQuery, callback_data: SurveyCB, survey_keys: SurveyKeys, ctx: Ctx
) -> None:
    found = await survey_answers.preview(ctx.uow, ctx.member, callback_data.survey_id)
    await survey_answers.begin(
        ctx.uow, survey_keys, query.from_user.id, found.survey, True, ctx.now(), ctx.settings.zone
    )
    await show_invitation(ctx.ui, query.from_user.id, found, True, ctx.settings)


# ----- answering -----
@router.callback_query(AnswerCB.filter(F.press == Press.keep))
async def keep_current(query: CallbackQuery, ctx: Ctx) -> None:
    await ctx.ui.send(query.from_user.id, "surveys.kept")


def _back(ui: Ui, survey_id: int) -> InlineKeyboardMarkup:
    return keyboard([[button(ui.label("labels.back_to_survey"), SurveyCB(survey_id=survey_id))]])


@router.callback_query(AnswerCB.filter(F.press == Press.leave))
async def leave(
    query: CallbackQuery, callback_data: AnswerCB, survey_keys: SurveyKeys, ctx: Ctx
) -> None:
    draft = await survey_answers.draft_of(ctx.uow, survey_keys, query.from_user.id)
    if draft is None or draft.survey_id != callback_data.survey_id:
        await ctx.ui.send(query.from_user.id, "surveys.stale")
        return
    await survey_answers.drop_draft(ctx.uow, survey_keys, query.from_user.id)
    back = _back(ctx.ui, callback_data.survey_id) if draft.preview else None
    await ctx.ui.show("surveys.left", back)


@router.callback_query(AnswerCB.filter(F.press == Press.submit))
async def submit(
    query: CallbackQuery, callback_data: AnswerCB, survey_keys: SurveyKeys, ctx: Ctx
) -> None:
    worker, now = query.from_user.id, ctx.now()
    try:
        survey, draft = await survey_answers.current(
            ctx.uow, survey_keys, worker, callback_data.survey_id, now
        )
        if draft.preview:
            if surveys.next_question(survey, draft.answer) is not None:
                raise Problem("surveys.stale")
            await survey_answers.drop_draft(ctx.uow, survey_keys, worker)
        else:
            await survey_answers.submit(
                ctx.uow, survey_keys, worker, survey, draft, now, ctx.settings
            )
    except Problem as problem:
        await ctx.ui.send(worker, problem.key, **problem.params)
        return
    if draft.preview:
        await ctx.ui.send(worker, "surveys.preview_done", _back(ctx.ui, survey.id or 0))
        return
    await ctx.ui.send(worker, "surveys.thanks", closes=survey.closes_at)


@router.callback_query(AnswerCB.filter())
async def press(
    query: CallbackQuery, callback_data: AnswerCB, survey_keys: SurveyKeys, ctx: Ctx
) -> None:
    worker, now = query.from_user.id, ctx.now()
    try:
        survey, draft = await survey_answers.current(
            ctx.uow, survey_keys, worker, callback_data.survey_id, now
        )
        draft.answer = survey_answers.apply(
            survey, draft.answer, callback_data.press, callback_data.value
        )
    except Problem as problem:
        await ctx.ui.send(worker, problem.key, **problem.params)
        return
    await survey_answers.keep_draft(ctx.uow, survey_keys, worker, draft, now, ctx.settings.zone)
    await show_page(ctx.ui, worker, survey, draft)


@router.message(StateFilter(None), TEXT_INPUT, OnSurveyPage())
async def typed(message: Message, draft: Draft, survey_keys: SurveyKeys, ctx: Ctx) -> None:
    assert message.from_user is not None
    worker, now = message.from_user.id, ctx.now()
    try:
        survey, draft = await survey_answers.current(ctx.uow, survey_keys, worker, None, now, draft)
    except Problem as problem:
        await ctx.ui.send(message.chat.id, problem.key, **problem.params)
        return
    try:
        survey_answers.apply_text(survey, draft.answer, message.text or "")
    except Problem as problem:
        await ctx.ui.send(message.chat.id, problem.key, **problem.params)
    else:
        await survey_answers.keep_draft(ctx.uow, survey_keys, worker, draft, now, ctx.settings.zone)
    await show_page(ctx.ui, message.chat.id, survey, draft)


@router.message(StateFilter(None), ~F.text.startswith("/"), OnSurveyPage())
async def use_buttons(message: Message, ctx: Ctx) -> None:
    await ctx.ui.send(message.chat.id, "surveys.use_buttons")
