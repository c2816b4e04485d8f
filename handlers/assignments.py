"""Assignments (派遣任务): liaisons give tasks and follow a status board per recipient;
instructors accept, decline with a reason, and mark them done."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from aiogram import Bot, F
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import BufferedInputFile, CallbackQuery, Message

from bot.callbacks import AssignAct, AssignCB, Menu, MenuCB
from bot.context import Ctx
from bot.offload import Offloader
from bot.presentation import enum_labels
from bot.presentation import liaison_views as views
from bot.presentation.exports import workbook
from bot.presentation.keyboards import back_to_menu, people_picker, toggle_chosen
from bot.presentation.notify import tell_each
from bot.presentation.ui import Ui, button, keyboard
from bot.sender import Sender
from bot.services import assignments
from bot.services.errors import Problem
from bot.services.profiles import today_in
from handlers.blueprint import Blueprint
from handlers.filters import TEXT_INPUT, RoleFilter
from handlers.forms import Env, Form, Step, StepContext
from storage.models import AssignmentKind, Role, User
from storage.uow import UnitOfWork

router = Blueprint("assignments")
router.filter("message", RoleFilter(Role.instructor, Role.liaison))
router.filter("callback_query", RoleFilter(Role.instructor, Role.liaison))
LIAISON = RoleFilter(Role.liaison)
liaison = router.scoped(LIAISON)  # the handlers only a liaison reaches
INSTRUCTOR = RoleFilter(Role.instructor)
instructor = router.scoped(INSTRUCTOR)  # the handlers only an instructor reaches
ICONS = {"open": "▫️", "accepted": "🟢", "declined": "✖️", "done": "✅"}


class Answer(StatesGroup):
    reason = State()


class Pick(StatesGroup):
    people = State()


# ----- lists -----
@router.callback_query(MenuCB.filter(F.action == Menu.assignments))
async def listing(query: CallbackQuery, ctx: Ctx) -> None:
    await ctx.form_state.clear()
    await show_list(ctx.ui, query.from_user.id, ctx.uow, ctx.member)


async def show_list(ui: Ui, chat_id: int, uow: UnitOfWork, user: User) -> None:
    found = await assignments.listing(uow, user)
    rows: list[list[Any]] = []
    for task, line in found:
        aid = task.id or 0
        title = f"{task.due_on:%m-%d} {ui.enum(task.kind)}"
        if line is None:
            rows.append([button(f"📌 {title}", AssignCB(assignment_id=aid))])
        elif line.status == "open":
            rows.append(
                [
                    button(f"🟢 {title}", AssignCB(assignment_id=aid, action=AssignAct.accept)),
                    button("✖️", AssignCB(assignment_id=aid, action=AssignAct.decline)),
                ]
            )
        elif line.status == "accepted":
            rows.append([button(f"✅ {title}", AssignCB(assignment_id=aid, action=AssignAct.done))])
    if user.role is Role.liaison:
        rows.append([button(ui.label("labels.assignment_new"), AssignCB(action=AssignAct.new))])
    rows.append([button(ui.label("labels.back_to_menu"), MenuCB(action=Menu.home))])
    await ui.show(
        "assignments.list",
        keyboard(rows),
        liaison=user.role is Role.liaison,
        items=[
            {
                "kind": ui.enum(t.kind),
                "due": t.due_on,
                "text": t.description,
                "status": ui.enum(line.status) if line else "",
                "icon": ICONS[line.status] if line else "📌",
            }
            for t, line in found
        ],
    )


# ----- giving a task -----
def _due(text: str, context: StepContext) -> str:
    return assignments.parse_due(text, today_in(context.settings.zone, context.now)).isoformat()


async def _summary(ui: Ui, context: StepContext) -> dict[str, Any]:
    form = context.form
    enterprise = form.get("enterprise", "")
    if enterprise and context.ctx is not None:  # the enterprise the words name, or why none
        try:
            ctx = context.ctx
            enterprise = (await assignments.find_enterprise(ctx.uow, ctx.member, enterprise)).name
        except Problem as problem:
            enterprise = f"{enterprise} ⚠️ {ui.text(problem.key, **problem.params)}"
    return {
        "kind": ui.label(f"labels.assignment_kind_{form['kind']}") if form.get("kind") else "",
        "enterprise": enterprise,
        "due": form.get("due", ""),
        "text": form.get("description", ""),
        "audience": ui.label(f"labels.training_audience_{form['audience']}")
        if form.get("audience")
        else "",
    }


async def _submit(query: CallbackQuery, form: dict[str, Any], ctx: Ctx) -> None:
    ui: Ui = ctx.ui
    state: FSMContext = ctx.form_state
    try:
        firm = None
        if form.get("enterprise"):
            firm = await assignments.find_enterprise(ctx.uow, ctx.member, form["enterprise"])
    except Problem as problem:
        await ui.send(query.from_user.id, problem.key, **problem.params)
        env = Env.of(ctx)
        await FORM.review(env)
        return
    await state.update_data(_enterprise_id=firm.id if firm else 0)
    if form["audience"] == "pick":
        await state.set_state(Pick.people)
        await state.update_data(_chosen=[])
        await show_pick(ui, await assignments.audience(ctx.uow, ctx.member), [])
        return
    await _create(ui, query.from_user.id, state, None, ctx)


async def _create(
    ui: Ui, chat_id: int, state: FSMContext, chosen: list[int] | None, ctx: Ctx
) -> None:
    form = await state.get_data()
    task, count = await assignments.create(
        ctx.uow,
        ctx.member,
        AssignmentKind(form["kind"]),
        int(form.get("_enterprise_id") or 0) or None,
        date.fromisoformat(form["due"]),
        form["description"],
        chosen,
        ctx.now(),
        ctx.settings,
    )
    await state.clear()
    await ui.show("assignments.created", count=count)
    await show_ledger(ui, chat_id, await assignments.ledger(ctx.uow, ctx.member, task.id or 0))


FORM = Form(
    "asg",
    [
        Step(
            "kind",
            "assignments.ask_kind",
            label="labels.field_type",
            choices=tuple((enum_labels.key(k), k.value) for k in AssignmentKind),
        ),
        Step(
            "enterprise",
            "assignments.ask_enterprise",
            parse=lambda text, _: " ".join(text.split())[:100],
            optional=True,
        ),
        Step("due", "assignments.ask_due", parse=_due),
        Step(
            "description",
            "assignments.ask_description",
            parse=lambda text, _: assignments.parse_description(text),
        ),
        Step(
            "audience",
            "assignments.ask_audience",
            choices=(
                ("labels.training_audience_all", "all"),
                ("labels.training_audience_pick", "pick"),
            ),
        ),
    ],
    review="assignments.review",
    summary=_summary,
    submit=_submit,
)
FORM.register(router, LIAISON)


@liaison.callback_query(AssignCB.filter(F.action == AssignAct.new))
async def new(query: CallbackQuery, ctx: Ctx) -> None:
    await FORM.start(Env.of(ctx))


async def show_pick(ui: Ui, people: Sequence[User], chosen: list[int]) -> None:
    """The people picker, drawn over the pressed message."""
    markup = people_picker(
        ui,
        people,
        chosen,
        lambda uid: AssignCB(action=AssignAct.pick, user_id=uid),
        MenuCB(action=Menu.assignments),
        AssignCB(action=AssignAct.send),
        "labels.assignment_send",
    )
    await ui.show("assignments.pick", markup, count=len(chosen))


@liaison.callback_query(Pick.people, AssignCB.filter(F.action == AssignAct.pick))
async def toggle(query: CallbackQuery, callback_data: AssignCB, ctx: Ctx) -> None:
    people = await assignments.audience(ctx.uow, ctx.member)
    chosen = await toggle_chosen(ctx.form_state, callback_data.user_id, people)
    await show_pick(ctx.ui, people, chosen)


@liaison.callback_query(Pick.people, AssignCB.filter(F.action == AssignAct.send))
async def send(query: CallbackQuery, state: FSMContext, ctx: Ctx) -> None:
    chosen = list((await state.get_data()).get("_chosen", []))
    if not chosen:
        await ctx.ui.send(query.from_user.id, "assignments.nobody")
        return
    await _create(ctx.ui, query.from_user.id, state, chosen, ctx)


# ----- the status board -----
async def show_ledger(ui: Ui, chat_id: int, found: assignments.Ledger) -> None:
    task = found.assignment
    counts = found.counts
    back = keyboard(
        [
            [
                button(
                    ui.label("labels.assignment_export"),
                    AssignCB(assignment_id=task.id or 0, action=AssignAct.export),
                ),
                button(ui.label("labels.assignment_list"), MenuCB(action=Menu.assignments)),
            ]
        ]
    )
    await ui.show(
        "assignments.ledger",
        back,
        kind=ui.enum(task.kind),
        enterprise=found.enterprise,
        due=task.due_on,
        text=task.description,
        counts=counts,
        total=len(found.rows),
        rows=[
            {
                "name": person.display_name,
                "icon": ICONS[line.status],
                "status": ui.enum(line.status),
                "delivery": ui.label(f"labels.delivery_{delivery}"),
                "reason": line.reason,
            }
            for person, line, delivery in found.rows
        ],
    )


@liaison.callback_query(AssignCB.filter((F.action == AssignAct.list) & (F.assignment_id > 0)))
async def ledger(query: CallbackQuery, callback_data: AssignCB, ctx: Ctx) -> None:
    found = await assignments.ledger(ctx.uow, ctx.member, callback_data.assignment_id)
    await show_ledger(ctx.ui, query.from_user.id, found)


# ----- the instructor's side -----
@instructor.callback_query(AssignCB.filter(F.action == AssignAct.accept))
async def accept(query: CallbackQuery, callback_data: AssignCB, ctx: Ctx) -> None:
    task = await assignments.respond(
        ctx.uow, ctx.member, callback_data.assignment_id, "accepted", ctx.now(), ctx.settings
    )
    await ctx.ui.send(query.from_user.id, "assignments.accepted", due=task.due_on)


@instructor.callback_query(AssignCB.filter(F.action == AssignAct.decline))
async def decline(query: CallbackQuery, callback_data: AssignCB, ctx: Ctx) -> None:
    await ctx.form_state.set_state(Answer.reason)
    await ctx.form_state.set_data({"assignment_id": callback_data.assignment_id})
    back = keyboard([[button(ctx.ui.label("labels.cancel"), MenuCB(action=Menu.assignments))]])
    await ctx.ui.send(
        query.from_user.id, "assignments.ask_reason", back, max=assignments.REASON_MAX
    )


@instructor.message(Answer.reason, TEXT_INPUT)
async def got_reason(message: Message, sender: Sender, ctx: Ctx) -> None:
    assignment_id = int((await ctx.form_state.get_data())["assignment_id"])
    try:
        declined = await assignments.decline(
            ctx.uow, ctx.member, assignment_id, message.text or "", ctx.now(), ctx.settings
        )
    except Problem as problem:
        await ctx.ui.send(message.chat.id, problem.key, **problem.params)
        return
    await ctx.form_state.clear()
    task = declined.assignment
    await tell_each(
        sender,
        ctx.ui,
        declined.liaisons,
        "assignments.declined_for_liaison",
        name=declined.instructor,
        description=task.description,
        due=task.due_on,
        reason=declined.reason,
    )
    await ctx.ui.send(
        message.chat.id,
        "assignments.declined",
        back_to_menu(ctx.ui),
        names="、".join(liaison.display_name for liaison in declined.liaisons),
    )


@instructor.message(Answer.reason)
async def needs_reason(message: Message, ctx: Ctx) -> None:
    await ctx.ui.send(message.chat.id, "common.text_expected")


@instructor.callback_query(AssignCB.filter(F.action == AssignAct.done))
async def mark_done(query: CallbackQuery, callback_data: AssignCB, ctx: Ctx) -> None:
    await assignments.done(ctx.uow, ctx.member, callback_data.assignment_id, ctx.now())
    await ctx.ui.send(query.from_user.id, "assignments.marked_done")
    await show_list(ctx.ui, query.from_user.id, ctx.uow, ctx.member)


@liaison.callback_query(AssignCB.filter(F.action == AssignAct.export))
async def export(
    query: CallbackQuery, callback_data: AssignCB, bot: Bot, offload: Offloader, ctx: Ctx
) -> None:
    found = await assignments.ledger(ctx.uow, ctx.member, callback_data.assignment_id)
    data = await offload.run(workbook, views.ledger_sheets(ctx.ui, found))
    task = found.assignment
    name = f"{ctx.ui.label('labels.assignment_file')}-{task.id}-{task.due_on}.xlsx"
    await bot.send_document(query.from_user.id, BufferedInputFile(data, filename=name))
