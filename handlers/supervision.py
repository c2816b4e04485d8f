"""Supervision checks of a contract in force: schedule a visit, walk the checklist on site
(a problem asks for a note or a photo, then who puts it right and by when), close the
rectification items, finish, and draft the supervision report from what was found."""

from __future__ import annotations

from datetime import date
from typing import Any

from aiogram import F
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

from bot.callbacks import CaseCB, CheckAct, CheckCB, ChecksCB, DocNewCB, FixCB
from bot.context import Ctx
from bot.presentation.ui import Ui, button, keyboard
from bot.services import supervision
from bot.services.errors import Problem
from bot.services.profiles import today_in
from bot.services.supervision import Result
from handlers.blueprint import Blueprint
from handlers.filters import OWN_ANSWER, RoleFilter
from handlers.forms import Env, Form, Step, StepContext
from storage.models import Role

router = Blueprint("supervision")
router.filter("message", RoleFilter(Role.instructor, Role.liaison))
router.filter("callback_query", RoleFilter(Role.instructor, Role.liaison))
INSTRUCTOR = RoleFilter(Role.instructor)
instructor = router.scoped(INSTRUCTOR)  # the handlers only an instructor reaches
ICONS = {"pass": "✅", "problem": "⚠️", "na": "➖", "": "▫️"}


# ----- the list -----
@router.callback_query(ChecksCB.filter(~F.new))
async def checks(query: CallbackQuery, callback_data: ChecksCB, ctx: Ctx) -> None:
    await ctx.form_state.clear()
    editable, found = await supervision.of_case(ctx.uow, ctx.member, callback_data.case_id)
    rows = [
        [
            button(
                f"{'✅' if c.finished_at else '🗓'} {c.scheduled_on:%Y-%m-%d} {c.team}"[:60],
                CheckCB(check_id=c.id or 0),
            )
        ]
        for c in found
    ]
    if editable:
        rows.append(
            [
                button(
                    ctx.ui.label("labels.check_new"),
                    ChecksCB(case_id=callback_data.case_id, new=True),
                )
            ]
        )
    rows.append(
        [button(ctx.ui.label("labels.back_to_case"), CaseCB(case_id=callback_data.case_id))]
    )
    await ctx.ui.show("supervision.list", keyboard(rows), count=len(found))


# ----- scheduling -----
# A form (handlers/forms.py): day → team → review → 提交 (the check is scheduled, with its
# reminders); ✏️ on the review goes back to a step, 取消 back to the case.
def _day(text: str, context: StepContext) -> str:
    today = today_in(context.settings.zone, context.now)
    return supervision.parse_day(text, today).isoformat()


def _team(text: str, context: StepContext) -> str:
    return supervision.parse_team(text)


def _schedule_summary(ui: Ui, context: StepContext) -> dict[str, Any]:
    return {"day": date.fromisoformat(context.form["day"]), "team": context.form["team"]}


async def _schedule(query: CallbackQuery, form: dict[str, Any], ctx: Ctx) -> None:
    data = await ctx.form_state.get_data()
    check = await supervision.schedule(
        ctx.uow,
        ctx.member,
        int(data["case_id"]),
        date.fromisoformat(form["day"]),
        form["team"],
        ctx.now(),
        ctx.settings,
    )
    await ctx.form_state.clear()
    await show_card(
        ctx.ui, query.from_user.id, await supervision.view(ctx.uow, ctx.member, check.id or 0)
    )


SCHEDULE = Form(
    "ck",
    [
        Step("day", "supervision.ask_day", parse=_day),
        Step("team", "supervision.ask_team", parse=_team),
    ],
    review="supervision.schedule_review",
    summary=_schedule_summary,
    submit=_schedule,
)
SCHEDULE.register(router, INSTRUCTOR)


@instructor.callback_query(ChecksCB.filter(F.new))
async def new(query: CallbackQuery, callback_data: ChecksCB, ctx: Ctx) -> None:
    await supervision.may_schedule(ctx.uow, ctx.member, callback_data.case_id)  # before asking
    await SCHEDULE.start(
        Env.of(ctx), {"case_id": callback_data.case_id, "_team_max": supervision.TEAM_MAX}
    )


# ----- one check -----
def _card_markup(ui: Ui, shown: supervision.CheckView) -> InlineKeyboardMarkup:
    cid = shown.check.id or 0
    rows: list[list[Any]] = []
    if shown.editable:
        areas = [
            button(
                f"{ICONS[shown.items[a].result if a in shown.items else '']} "
                + ui.label(f"labels.area_{a}"),
                CheckCB(check_id=cid, area=a),
            )
            for a in supervision.AREAS
        ]
        rows += [areas[i : i + 2] for i in range(0, len(areas), 2)]
        rows += [
            [
                button(
                    f"🔧 {ui.label('labels.fix_close')}: {f.item}"[:60],
                    FixCB(rectification_id=f.id or 0),
                )
            ]
            for f in shown.rectifications
            if f.closed_at is None
        ]
        if shown.check.finished_at is None:
            rows.append(
                [
                    button(
                        ui.label("labels.check_finish"),
                        CheckCB(check_id=cid, action=CheckAct.finish),
                    )
                ]
            )
        else:
            report = DocNewCB(case_id=shown.check.case_id, kind="supervision")
            rows.append([button(ui.label("labels.check_report"), report)])
    rows.append([button(ui.label("labels.check_list"), ChecksCB(case_id=shown.check.case_id))])
    return keyboard(rows)


async def show_card(
    ui: Ui, chat_id: int, shown: supervision.CheckView, message: Message | None = None
) -> None:
    await ui.edit_or_send(
        message,
        chat_id,
        "supervision.card",
        _card_markup(ui, shown),
        enterprises=shown.enterprises,
        day=shown.check.scheduled_on,
        team=shown.check.team,
        finished=shown.check.finished_at,
        items=[
            {
                "icon": ICONS[shown.items[a].result],
                "area": ui.label(f"labels.area_{a}"),
                "note": shown.items[a].note,
                "photo": bool(shown.items[a].photo),
            }
            for a in supervision.AREAS
            if a in shown.items
        ],
        fixes=[
            {"item": f.item, "owner": f.owner, "due": f.due_on, "closed": f.closed_at is not None}
            for f in shown.rectifications
        ],
        done=len(shown.items),
        total=len(supervision.AREAS),
    )


@router.callback_query(CheckCB.filter(F.area.is_(None) & (F.action == CheckAct.card)))
async def card(query: CallbackQuery, callback_data: CheckCB, ctx: Ctx) -> None:
    await ctx.form_state.clear()
    await show_card(
        ctx.ui,
        query.from_user.id,
        await supervision.view(ctx.uow, ctx.member, callback_data.check_id),
    )


@instructor.callback_query(CheckCB.filter(F.area.is_not(None) & F.result.is_(None)))
async def area(query: CallbackQuery, callback_data: CheckCB, ctx: Ctx) -> None:
    cid, where = callback_data.check_id, callback_data.area
    rows = [
        [
            button(
                f"{ICONS[r]} {ctx.ui.label(f'labels.result_{r}')}",
                CheckCB(check_id=cid, area=where, result=r),
            )
            for r in supervision.RESULTS
        ],
        [button(ctx.ui.label("labels.back"), CheckCB(check_id=cid))],
    ]
    await ctx.ui.show(
        "supervision.ask_result",
        keyboard(rows),
        area=ctx.ui.label(f"labels.area_{where}"),
        hint=ctx.ui.text(f"supervision.hint_{where}"),
    )


@instructor.callback_query(CheckCB.filter(F.result.in_({Result.passed, Result.na})))
async def simple_result(query: CallbackQuery, callback_data: CheckCB, ctx: Ctx) -> None:
    if callback_data.area is None or callback_data.result is None:  # a forged press
        raise Problem("common.expired_button")
    await supervision.record(
        ctx.uow,
        ctx.member,
        callback_data.check_id,
        callback_data.area,
        callback_data.result,
        ctx.now(),
    )
    await show_card(
        ctx.ui,
        query.from_user.id,
        await supervision.view(ctx.uow, ctx.member, callback_data.check_id),
    )


# ----- a problem found: its note and the rectification -----
# A form (handlers/forms.py): note (text, or a photo with its caption) → owner → due →
# review → 提交: the area is recorded as a problem and the rectification planned, together.
def _note(text: str, context: StepContext) -> str:
    return supervision.parse_note(text)


def _owner(text: str, context: StepContext) -> str:
    return supervision.parse_owner(text)


def _fix_summary(ui: Ui, context: StepContext) -> dict[str, Any]:
    form = context.form
    return {
        "area": ui.label(f"labels.area_{form['area']}"),
        "note": form["note"],
        "photo": bool(form.get("note_photo")),
        "owner": form["owner"],
        "due": date.fromisoformat(form["due"]),
    }


async def _fix(query: CallbackQuery, form: dict[str, Any], ctx: Ctx) -> None:
    check_id, area = int(form["check_id"]), str(form["area"])
    now = ctx.now()
    await supervision.record(
        ctx.uow, ctx.member, check_id, area, Result.problem, now, form["note"], form["note_photo"]
    )
    await supervision.rectify(
        ctx.uow,
        ctx.member,
        check_id,
        area,
        form["note"],
        form["owner"],
        date.fromisoformat(form["due"]),
        now,
        ctx.settings,
    )
    await ctx.form_state.clear()
    await show_card(
        ctx.ui, query.from_user.id, await supervision.view(ctx.uow, ctx.member, check_id)
    )


FIX = Form(
    "fx",
    [
        Step("note", "supervision.ask_note", parse=_note, photo=True),
        Step("owner", "supervision.ask_owner", parse=_owner),
        Step("due", "supervision.ask_due", parse=_day),
    ],
    review="supervision.fix_review",
    summary=_fix_summary,
    submit=_fix,
)
FIX.register(router, INSTRUCTOR)


@instructor.callback_query(CheckCB.filter(F.result == Result.problem))
async def problem(query: CallbackQuery, callback_data: CheckCB, ctx: Ctx) -> None:
    if callback_data.area is None:  # a forged press
        raise Problem("common.expired_button")
    shown = await supervision.view(ctx.uow, ctx.member, callback_data.check_id)  # access first
    await FIX.start(
        Env.of(ctx),
        {
            "check_id": callback_data.check_id,
            "area": callback_data.area,
            "case_id": shown.check.case_id,
            "_note_max": supervision.NOTE_MAX,
            "_owner_max": supervision.OWNER_MAX,
        },
    )


@instructor.callback_query(FixCB.filter(), flags=OWN_ANSWER)
async def close_fix(query: CallbackQuery, callback_data: FixCB, ctx: Ctx) -> None:
    fix = await supervision.close_item(
        ctx.uow, ctx.member, callback_data.rectification_id, ctx.now()
    )
    await query.answer(ctx.ui.label("labels.fix_closed"))
    await show_card(
        ctx.ui, query.from_user.id, await supervision.view(ctx.uow, ctx.member, fix.check_id)
    )


@instructor.callback_query(CheckCB.filter(F.action == CheckAct.finish))
async def finish(query: CallbackQuery, callback_data: CheckCB, ctx: Ctx) -> None:
    await supervision.finish(ctx.uow, ctx.member, callback_data.check_id, ctx.now())
    await show_card(
        ctx.ui,
        query.from_user.id,
        await supervision.view(ctx.uow, ctx.member, callback_data.check_id),
    )
