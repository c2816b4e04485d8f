"""The workers' congress on a case's draft: held online (personal single-use links, check-in,
the live quorum, a secret ballot, the count) or counted on paper and entered.

The instructor: 🗳 on the case card → online or paper. Online: how many representatives and
the motion → the slips (a Word file, one QR code and link per seat) and a panel that shows
who is present against the quorum; ▶️ opens the vote once it is reached; ⏹ counts, and
the result goes on the case. A representative: opens their link (checked in), reads the
draft, and when the vote opens presses 🗳 to vote once, confirmed. Nothing they press is
kept in the conversation state (bot/services/congress.py says how the ballot stays secret).
"""

from __future__ import annotations

from typing import Any

from aiogram import Bot, F
from aiogram.filters import CommandObject, CommandStart
from aiogram.types import BufferedInputFile, CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.deep_linking import create_start_link

from bot.callbacks import BallotAct, BallotCB, CaseCB, CongressAct, CongressCB, DocNewCB
from bot.context import Ctx
from bot.offload import Offloader
from bot.presentation import charts
from bot.presentation.ui import Ui, button, keyboard
from bot.presentation.word import Documents
from bot.services import congress
from bot.services.anonymity import SurveyKeys
from bot.services.congress import Choice, Live, SeatView
from bot.services.errors import Problem
from handlers.blueprint import Blueprint
from handlers.cases import show_card
from handlers.filters import SENDS_FILE, RoleFilter
from handlers.forms import Env, Form, Step, StepContext
from storage.models import CongressStatus, Role

router = Blueprint("congress")
INSTRUCTOR = RoleFilter(Role.instructor)
instructor = router.scoped(INSTRUCTOR)


# ----- the instructor: online or paper -----
def _cb(case_id: int, act: CongressAct, congress_id: int = 0) -> CongressCB:
    return CongressCB(case_id=case_id, act=act, congress_id=congress_id)


@instructor.callback_query(CongressCB.filter(F.act == CongressAct.menu))
async def choose(query: CallbackQuery, callback_data: CongressCB, ctx: Ctx) -> None:
    case_id = callback_data.case_id
    await congress.ready(ctx.uow, ctx.member, case_id)
    sitting = await congress.sitting_of(ctx.uow, ctx.member, case_id)
    if sitting is not None:
        await _show_panel(ctx, sitting.id or 0)
        return
    ui = ctx.ui
    rows = [
        [button(ui.label("labels.congress_online"), _cb(case_id, CongressAct.convene))],
        [button(ui.label("labels.congress_paper"), _cb(case_id, CongressAct.paper))],
        [button(ui.label("labels.back_to_case"), CaseCB(case_id=case_id))],
    ]
    legal = ctx.settings.legal
    await ui.show(
        "congress.choose",
        keyboard(rows),
        attendance=str(legal.congress_attendance),
        approval=str(legal.congress_approval),
    )


# ----- holding it online: the sitting (a form) -----
def _total(text: str, _context: StepContext) -> int:
    return congress.parse_total(text)


def _total_offers(context: StepContext) -> list[tuple[str, str]]:
    found = context.form.get("_recorded")
    if not found or context.ui is None:
        return []
    return [(context.ui.label("labels.congress_recorded_total", total=found), str(found))]


DEFAULT = "="  # the default motion's button (the motion itself may not fit a button's data)


def _motion(text: str, context: StepContext) -> str:
    if text == DEFAULT:
        text = str(context.form.get("_motion") or "")
    return congress.parse_motion(text)


def _motion_offers(context: StepContext) -> list[tuple[str, str]]:
    motion = str(context.form.get("_motion") or "")
    return [(motion, DEFAULT)] if motion else []


async def _convene(query: CallbackQuery, form: dict[str, Any], ctx: Ctx) -> None:
    data = await ctx.form_state.get_data()
    case_id = int(data["case_id"])
    sitting, _ = await congress.convene(
        ctx.uow,
        ctx.member,
        case_id,
        int(form["total"]),
        str(form["motion"]),
        ctx.now(),
        ctx.keys,
    )
    await ctx.form_state.clear()
    await _show_panel(ctx, sitting.id or 0)


CONVENE = Form(
    "cv",
    [
        Step("total", "congress.ask_total", parse=_total, offers=_total_offers),
        Step("motion", "congress.ask_motion", parse=_motion, offers=_motion_offers),
    ],
    review="congress.review",
    summary=lambda ui, context: dict(context.form),
    submit=_convene,
)
CONVENE.register(router, INSTRUCTOR)


@instructor.callback_query(CongressCB.filter(F.act == CongressAct.convene))
async def convene(query: CallbackQuery, callback_data: CongressCB, ctx: Ctx) -> None:
    case = await congress.ready(ctx.uow, ctx.member, callback_data.case_id)
    if await congress.sitting_of(ctx.uow, ctx.member, case.id or 0) is not None:
        raise Problem("congress.already_open")
    motion = ctx.ui.label(
        "labels.congress_default_motion", year=case.year, type=ctx.ui.enum(case.case_type)
    )
    initial = {"case_id": case.id, "_recorded": case.congress_total or 0, "_motion": motion}
    await CONVENE.start(Env.of(ctx), initial)


# ----- the panel -----
def _panel_markup(ui: Ui, live: Live) -> InlineKeyboardMarkup:
    c = live.congress
    case_id, cid = c.case_id, c.id or 0

    def act(label: str, what: CongressAct) -> Any:
        return button(ui.label(label), _cb(case_id, what, cid))

    rows: list[list[Any]] = []
    if c.status in (CongressStatus.checkin, CongressStatus.voting):
        # Checking in: the vote opens once the quorum is present. Voting: the count.
        if c.status is CongressStatus.voting:
            rows.append([act("labels.congress_close", CongressAct.close)])
        elif live.quorate:
            rows.append([act("labels.congress_vote", CongressAct.vote)])
        rows.append([act("labels.refresh", CongressAct.panel)])
        rows.append(
            [
                act("labels.congress_slips", CongressAct.slips),
                act("labels.congress_links", CongressAct.links),
            ]
        )
        rows.append([act("labels.congress_cancel", CongressAct.cancel)])
    elif c.status is CongressStatus.closed:
        resolution = DocNewCB(case_id=case_id, kind="resolution")
        rows.append([button(ui.label("labels.doc_resolution"), resolution)])
    rows.append([button(ui.label("labels.back_to_case"), CaseCB(case_id=case_id))])
    return keyboard(rows)


def _panel_context(live: Live, ctx: Ctx) -> dict[str, Any]:
    c = live.congress
    cast = (c.yes or 0) + (c.no or 0) + (c.abstain or 0) + (c.unread or 0)
    return {
        "unvoted": max(0, (c.present or 0) - cast) if c.status is CongressStatus.closed else 0,
        "attendance": str(ctx.settings.legal.congress_attendance),
        "c": c,
        "status": c.status.value,
        "status_label": ctx.ui.enum(c.status),
        "present": live.present,
        "voted": live.voted,
        "needs": live.needs,
        "quorate": live.quorate,
        "missing": live.missing,
    }


async def _show_panel(ctx: Ctx, congress_id: int, live: Live | None = None) -> None:
    live = live or await congress.panel(ctx.uow, ctx.member, congress_id, ctx.settings.legal)
    await ctx.ui.show("congress.panel", _panel_markup(ctx.ui, live), **_panel_context(live, ctx))


@instructor.callback_query(CongressCB.filter(F.act == CongressAct.panel))
async def panel(query: CallbackQuery, callback_data: CongressCB, ctx: Ctx) -> None:
    await _show_panel(ctx, callback_data.congress_id)


@instructor.callback_query(CongressCB.filter(F.act == CongressAct.vote))
async def open_vote(query: CallbackQuery, callback_data: CongressCB, ctx: Ctx) -> None:
    live = await congress.open_voting(
        ctx.uow, ctx.member, callback_data.congress_id, ctx.now(), ctx.settings.legal
    )
    await _show_panel(ctx, callback_data.congress_id, live)


@instructor.callback_query(CongressCB.filter(F.act.in_({CongressAct.close, CongressAct.cancel})))
async def confirm(query: CallbackQuery, callback_data: CongressCB, ctx: Ctx) -> None:
    live = await congress.panel(ctx.uow, ctx.member, callback_data.congress_id, ctx.settings.legal)
    ui, c = ctx.ui, live.congress
    counting = callback_data.act is CongressAct.close
    go = CongressAct.tally if counting else CongressAct.drop
    rows = [
        [button(ui.label(f"labels.congress_{go.value}_yes"), _cb(c.case_id, go, c.id or 0))],
        [button(ui.label("labels.congress_not_yet"), _cb(c.case_id, CongressAct.panel, c.id or 0))],
    ]
    key = "congress.confirm_count" if counting else "congress.confirm_cancel"
    await ui.show(key, keyboard(rows), **_panel_context(live, ctx))


@instructor.callback_query(CongressCB.filter(F.act == CongressAct.tally))
async def count(query: CallbackQuery, callback_data: CongressCB, ctx: Ctx) -> None:
    live = await congress.close(
        ctx.uow,
        ctx.member,
        callback_data.congress_id,
        ctx.now(),
        ctx.keys,
        ctx.settings,
    )
    await _show_panel(ctx, callback_data.congress_id, live)


@instructor.callback_query(CongressCB.filter(F.act == CongressAct.drop))
async def drop(query: CallbackQuery, callback_data: CongressCB, ctx: Ctx) -> None:
    sitting = await congress.cancel(ctx.uow, ctx.member, callback_data.congress_id, ctx.now())
    await ctx.ui.show("congress.cancelled_by_you")
    await show_card(ctx, sitting.case_id)


@instructor.callback_query(CongressCB.filter(F.act == CongressAct.slips), flags=SENDS_FILE)
async def send_slips(
    query: CallbackQuery,
    callback_data: CongressCB,
    bot: Bot,
    offload: Offloader,
    documents: Documents,
    ctx: Ctx,
) -> None:
    sitting, names, found = await congress.slips(
        ctx.uow, ctx.member, callback_data.congress_id, ctx.keys
    )
    links = [await create_start_link(bot, slip.token) for slip in found]
    codes = await offload.run(lambda: [charts.qr_png(link, 6) for link in links])
    rows = [
        {
            "number": slip.number,
            "link": link,
            "qr": code,
            "present": "✔ 已签到" if slip.present else "",
        }
        for slip, link, code in zip(found, links, codes, strict=True)
    ]
    context = {
        "enterprise": "、".join(names),
        "motion": sitting.motion,
        "total": sitting.total,
    }
    data = await documents.render("congress_slips", context, rows={"slips": (rows, "qr", 28)})
    await bot.send_document(
        query.from_user.id,
        BufferedInputFile(data, filename=f"{ctx.ui.label('labels.congress_slips_file')}.docx"),
        caption=ctx.ui.text("congress.slips_caption", total=sitting.total),
    )


@instructor.callback_query(CongressCB.filter(F.act == CongressAct.links))
async def send_links(query: CallbackQuery, callback_data: CongressCB, bot: Bot, ctx: Ctx) -> None:
    sitting, _, found = await congress.slips(
        ctx.uow, ctx.member, callback_data.congress_id, ctx.keys
    )
    seats = [
        {"number": s.number, "link": await create_start_link(bot, s.token), "present": s.present}
        for s in found
    ]
    await ctx.ui.reply("congress.links", total=sitting.total, seats=seats)


# ----- the representative -----
def _seat_markup(ui: Ui, view: SeatView) -> InlineKeyboardMarkup:
    cid = view.congress.id or 0
    # Before voting: the ballot; after: the result, once counted (the same press).
    vote = "labels.congress_result" if view.voted else "labels.congress_to_ballot"
    draft = BallotCB(congress_id=cid, act=BallotAct.draft)
    return keyboard(
        [
            [button(ui.label(vote), BallotCB(congress_id=cid))],
            [button(ui.label("labels.congress_read_draft"), draft)],
        ]
    )


def _seat_context(view: SeatView) -> dict[str, Any]:
    return {
        "number": view.number,
        "total": view.congress.total,
        "motion": view.congress.motion,
        "enterprises": "、".join(view.enterprises),
        "status": view.congress.status.value,
        "voted": view.voted,
    }


async def _refuse(ctx: Ctx, chat_id: int, problem: Problem) -> None:
    """A representative's refusal, without the members' menu."""
    await ctx.ui.send(chat_id, problem.key, **problem.params)


@router.message(CommandStart(deep_link=True, magic=F.args.startswith(congress.TOKEN_PREFIX)))
async def check_in(
    message: Message, command: CommandObject, survey_keys: SurveyKeys, ctx: Ctx
) -> None:
    assert message.from_user is not None
    token = (command.args or "").strip()
    try:
        view = await congress.check_in(ctx.uow, survey_keys, token, message.from_user.id)
    except Problem as problem:
        await _refuse(ctx, message.chat.id, problem)
        return
    await ctx.ui.send(
        message.chat.id, "congress.seat", _seat_markup(ctx.ui, view), **_seat_context(view)
    )


# Answered by the handler (not before it): a press too early gets an alert instead.
@router.callback_query(
    BallotCB.filter(F.act == BallotAct.show), flags={"callback_answer": {"pre": False}}
)
async def show_ballot(
    query: CallbackQuery,
    callback_data: BallotCB,
    survey_keys: SurveyKeys,
    callback_answer: CallbackAnswer,
    ctx: Ctx,
) -> None:
    try:
        view = await congress.ballot(
            ctx.uow, survey_keys, callback_data.congress_id, query.from_user.id
        )
    except Problem as problem:
        if problem.key in ("congress.not_yet", "congress.already_voted"):
            # Too early, or voted and not counted yet: say so, keep the page.
            alert = "not_yet" if problem.key == "congress.not_yet" else "not_counted"
            callback_answer.text = ctx.ui.text(f"congress.{alert}_alert")
            callback_answer.show_alert = True
            return
        await _refuse(ctx, query.from_user.id, problem)
        return
    cid = callback_data.congress_id
    rows = [
        [
            button(
                ctx.ui.label(f"labels.ballot_{choice.name}"),
                BallotCB(congress_id=cid, act=BallotAct.pick, choice=choice.value),
            )
            for choice in Choice
        ]
    ]
    await ctx.ui.show("congress.ballot", keyboard(rows), **_seat_context(view))


def _choice(value: str) -> Choice:
    try:
        return Choice(value)
    except ValueError:
        raise Problem("common.expired_button") from None


@router.callback_query(BallotCB.filter(F.act == BallotAct.pick))
async def pick(
    query: CallbackQuery, callback_data: BallotCB, survey_keys: SurveyKeys, ctx: Ctx
) -> None:
    choice = _choice(callback_data.choice)
    cid = callback_data.congress_id
    try:
        view = await congress.ballot(ctx.uow, survey_keys, cid, query.from_user.id)
    except Problem as problem:
        await _refuse(ctx, query.from_user.id, problem)
        return
    rows = [
        [
            button(
                ctx.ui.label("labels.ballot_cast"),
                BallotCB(congress_id=cid, act=BallotAct.cast, choice=choice.value),
            )
        ],
        [button(ctx.ui.label("labels.ballot_again"), BallotCB(congress_id=cid))],
    ]
    label = ctx.ui.label(f"labels.ballot_{choice.name}")
    await ctx.ui.show(
        "congress.ballot_confirm", keyboard(rows), choice=label, **_seat_context(view)
    )


@router.callback_query(BallotCB.filter(F.act == BallotAct.cast))
async def cast(
    query: CallbackQuery, callback_data: BallotCB, survey_keys: SurveyKeys, ctx: Ctx
) -> None:
    choice = _choice(callback_data.choice)
    try:
        view = await congress.cast(
            ctx.uow, survey_keys, callback_data.congress_id, query.from_user.id, choice
        )
    except Problem as problem:
        await _refuse(ctx, query.from_user.id, problem)
        return
    # The page the vote was cast on no longer says which: only that it is cast.
    await ctx.ui.show("congress.cast", _seat_markup(ctx.ui, view), **_seat_context(view))


@router.callback_query(BallotCB.filter(F.act == BallotAct.draft), flags=SENDS_FILE)
async def read_draft(
    query: CallbackQuery, callback_data: BallotCB, survey_keys: SurveyKeys, bot: Bot, ctx: Ctx
) -> None:
    try:
        found = await congress.draft_for(
            ctx.uow, survey_keys, callback_data.congress_id, query.from_user.id
        )
    except Problem as problem:
        await _refuse(ctx, query.from_user.id, problem)
        return
    if found is None:
        await ctx.ui.send(query.from_user.id, "congress.no_draft_file")
        return
    await bot.send_document(
        query.from_user.id,
        BufferedInputFile(found.content, filename=found.file_name),
        caption=ctx.ui.text("congress.draft_caption"),
    )
