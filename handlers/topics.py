"""The clause tracker in chat: a case's topics at a glance, each topic's demand, position,
status and history; changes by the case's instructor, read-only for liaisons."""

from __future__ import annotations

from typing import Any

from aiogram import F
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import BufferedInputFile, CallbackQuery, Message

from bot.callbacks import (
    CaseCB,
    ClauseAct,
    ClauseCB,
    EditCB,
    LedgerCB,
    PackageCB,
    TopicCB,
    TopicsCB,
)
from bot.context import Ctx
from bot.presentation.exports import Sheet, workbook
from bot.presentation.ui import Ui, button, keyboard
from bot.services import advice, clauses, topics
from bot.services.clauses import Library
from bot.services.errors import Problem
from bot.services.topics import Side, Source
from handlers.blueprint import Blueprint
from handlers.filters import SENDS_FILE, TEXT_INPUT, RoleFilter
from handlers.forms import Env, Form, Step, StepContext
from storage.models import CaseTopic, Role, TopicStatus, User
from storage.uow import UnitOfWork

router = Blueprint("topics")
router.filter("message", RoleFilter(Role.instructor, Role.liaison))
router.filter("callback_query", RoleFilter(Role.instructor, Role.liaison))
INSTRUCTOR = RoleFilter(Role.instructor)
instructor = router.scoped(INSTRUCTOR)  # the handlers only an instructor reaches
ICONS = {
    TopicStatus.proposed: "⚪",
    TopicStatus.countered: "🟠",
    TopicStatus.tentative: "🔵",
    TopicStatus.agreed: "🟢",
    TopicStatus.dropped: "⚫",
}
HISTORY_SHOWN = 6
LEDGER_COLUMNS = ("round", "at", "topic", "side", "text", "status", "by")


class TopicInput(StatesGroup):
    custom = State()
    text = State()
    agreed = State()


def title_of(ui: Ui, topic: CaseTopic) -> str:
    return ui.topic(topic.key, topic.title)


def library_of(ctx: Ctx) -> Library:
    return clauses.library(ctx.settings.clauses_dir)


async def show_table(ui: Ui, ctx: Ctx, case_id: int) -> None:
    found = await topics.tracker(ctx.uow, ctx.member, case_id)
    names = "、".join(found.enterprise_names)
    rows_text = [
        {
            "icon": ICONS[t.status],
            "title": title_of(ui, t),
            "status": ui.enum(t.status),
        }
        for t in found.topics
    ]
    buttons = [
        [button(f"{ICONS[t.status]} {title_of(ui, t)}"[:60], TopicCB(topic_id=t.id or 0))]
        for t in found.topics
    ]
    if found.editable:
        buttons.append(
            [button(ui.label("labels.add_topic"), TopicsCB(case_id=case_id, add="menu"))]
        )
    if found.editable and len(topics.packable(found.topics)) >= topics.PACKAGE_MIN:
        buttons.append([button(ui.label("labels.topic_package"), PackageCB(case_id=case_id))])
    if found.topics:
        buttons.append([button(ui.label("labels.topic_ledger"), LedgerCB(case_id=case_id))])
    buttons.append([button(ui.label("labels.back_to_case"), CaseCB(case_id=case_id))])
    await ui.show("topics.table", keyboard(buttons), case=names, rows=rows_text)


async def show_topic(ui: Ui, uow: UnitOfWork, user: User, topic_id: int) -> None:
    shown = await topics.view(uow, user, topic_id)  # who may see it, first
    topic = shown.topic
    costed = await advice.topic_costing(uow, topic.case_id, topic.key)
    history = [
        {
            "at": change.at,
            "round": change.round_no,
            "status": ui.enum(change.status) if change.status_changed else "",
            "texts": change.texts,
        }
        for change in topics.changes(shown.history)[-HISTORY_SHOWN:]
    ]
    rows: list[list[Any]] = []
    if shown.editable:
        statuses = [
            button(
                f"{ICONS[s]} {ui.enum(s)}",
                ClauseCB(topic_id=topic_id, act=ClauseAct.agree)
                if s is TopicStatus.agreed
                else ClauseCB(topic_id=topic_id, act=ClauseAct.sign)
                if s is TopicStatus.tentative
                else TopicCB(topic_id=topic_id, status=s.value),
            )
            for s in TopicStatus
            if s is not topic.status
        ]
        rows += [statuses[i : i + 2] for i in range(0, len(statuses), 2)]
        if topic.status is not TopicStatus.agreed:
            rows.append(
                [
                    button(ui.label("labels.edit_ours"), EditCB(topic_id=topic_id, side=Side.ours)),
                    button(
                        ui.label("labels.edit_theirs"), EditCB(topic_id=topic_id, side=Side.theirs)
                    ),
                ]
            )
            rows.append(
                [
                    button(
                        ui.label("labels.clause_models"),
                        ClauseCB(topic_id=topic_id, act=ClauseAct.models),
                    )
                ]
            )
    rows.append([button(ui.label("labels.back_to_topics"), TopicsCB(case_id=topic.case_id))])
    await ui.show(
        "topics.card",
        keyboard(rows),
        icon=ICONS[topic.status],
        title=title_of(ui, topic),
        status=ui.enum(topic.status),
        ours=topic.our_demand,
        theirs=topic.their_position,
        agreed=topic.agreed_text,
        agreed_round=topic.agreed_round,
        agreed_at=topic.agreed_at,
        ta_chiefs=topic.ta_chiefs,
        ta_at=topic.ta_at,
        history=history,
        earlier=max(0, len(shown.history) - HISTORY_SHOWN),
        costing=_costing_lines(ui, costed),
    )


def _costing_lines(ui: Ui, found: advice.TopicCosting | None) -> dict[str, Any] | None:
    """The proposals this wage topic carries, each with its yearly cost, and the package."""
    if found is None:
        return None
    package = found.case.package
    return {
        "lines": [
            (
                ui.label(f"labels.costing_{i.key}"),
                i.cost,
                [ui.label(f"labels.figure_{m}") for m in i.missing],
            )
            for i in found.items
        ],
        "total": package.total,
        "share": package.share,
        "where": found.case.position,
    }


@router.callback_query(TopicsCB.filter(F.add == ""))
async def table(query: CallbackQuery, callback_data: TopicsCB, ctx: Ctx) -> None:
    await ctx.form_state.clear()
    await show_table(ctx.ui, ctx, callback_data.case_id)


@instructor.callback_query(TopicsCB.filter(F.add == "menu"))
async def choose_topic(query: CallbackQuery, callback_data: TopicsCB, ctx: Ctx) -> None:
    found = await topics.tracker(ctx.uow, ctx.member, callback_data.case_id)
    case_id = callback_data.case_id
    rows = [
        [button(ctx.ui.label(f"labels.topic_{key}"), TopicsCB(case_id=case_id, add=key))]
        for key in found.addable(library_of(ctx))
    ]
    rows.append(
        [button(ctx.ui.label("labels.custom_topic"), TopicsCB(case_id=case_id, add="custom"))]
    )
    rows.append([button(ctx.ui.label("labels.back_to_topics"), TopicsCB(case_id=case_id))])
    await ctx.ui.show("topics.choose", keyboard(rows))


@instructor.callback_query(TopicsCB.filter(F.add == "custom"))
async def ask_custom(query: CallbackQuery, callback_data: TopicsCB, ctx: Ctx) -> None:
    await topics.tracker(ctx.uow, ctx.member, callback_data.case_id)  # access, before asking
    await ctx.form_state.set_state(TopicInput.custom)
    await ctx.form_state.set_data({"case_id": callback_data.case_id})
    back = keyboard(
        [[button(ctx.ui.label("labels.cancel"), TopicsCB(case_id=callback_data.case_id))]]
    )
    await ctx.ui.show("topics.ask_custom", back, max=topics.TITLE_MAX)


@instructor.callback_query(TopicsCB.filter(~F.add.in_({"", "menu", "custom"})))
async def add_section(query: CallbackQuery, callback_data: TopicsCB, ctx: Ctx) -> None:
    case_id = callback_data.case_id
    try:
        await topics.add(
            ctx.uow, ctx.member, case_id, callback_data.add, ctx.now(), library_of(ctx)
        )
    except Problem as problem:
        await ctx.ui.send(query.from_user.id, problem.key, **problem.params)
        return
    await show_table(ctx.ui, ctx, case_id)


@router.callback_query(TopicCB.filter(F.status == ""))
async def topic_card(query: CallbackQuery, callback_data: TopicCB, ctx: Ctx) -> None:
    await ctx.form_state.clear()
    await show_topic(ctx.ui, ctx.uow, ctx.member, callback_data.topic_id)


@instructor.callback_query(TopicCB.filter(F.status.in_({s.value for s in TopicStatus})))
async def change_status(query: CallbackQuery, callback_data: TopicCB, ctx: Ctx) -> None:
    status = TopicStatus(callback_data.status)
    await topics.set_status(ctx.uow, ctx.member, callback_data.topic_id, status, ctx.now())
    await show_topic(ctx.ui, ctx.uow, ctx.member, callback_data.topic_id)


async def _ask(ctx: Ctx, topic_id: int, state: State, prompt: str, **data: Any) -> None:
    shown = await topics.for_change(ctx.uow, ctx.member, topic_id)
    if shown.topic.status is TopicStatus.agreed:
        raise Problem("topics.frozen")
    await ctx.form_state.set_state(state)
    await ctx.form_state.set_data({"topic_id": topic_id, **data})
    back = keyboard([[button(ctx.ui.label("labels.cancel"), TopicCB(topic_id=topic_id))]])
    # The current text goes with the question, to copy and change rather than retype.
    theirs = data.get("side") == Side.theirs
    current = shown.topic.their_position if theirs else shown.topic.our_demand
    await ctx.ui.show(prompt, back, max=topics.TEXT_MAX, current=current)


@instructor.callback_query(EditCB.filter())
async def ask_text(query: CallbackQuery, callback_data: EditCB, ctx: Ctx) -> None:
    side = callback_data.side
    await _ask(ctx, callback_data.topic_id, TopicInput.text, f"topics.ask_{side.value}", side=side)


@instructor.callback_query(ClauseCB.filter(F.act == ClauseAct.models))
async def show_models(query: CallbackQuery, callback_data: ClauseCB, ctx: Ctx) -> None:
    topic, found = await topics.models(
        ctx.uow, ctx.member, callback_data.topic_id, library_of(ctx), ctx.settings
    )
    topic_id = callback_data.topic_id
    rows = [
        [
            button(
                f"📚 {m.label}"[:60], ClauseCB(topic_id=topic_id, act=ClauseAct.model, value=m.key)
            )
        ]
        for m in found
    ]
    rows.append([button(ctx.ui.label("labels.back_to_topic"), TopicCB(topic_id=topic_id))])
    await ctx.ui.show("topics.models", keyboard(rows), title=title_of(ctx.ui, topic), models=found)


@instructor.callback_query(ClauseCB.filter(F.act == ClauseAct.model))
async def use_model(query: CallbackQuery, callback_data: ClauseCB, ctx: Ctx) -> None:
    await topics.start_from_model(
        ctx.uow,
        ctx.member,
        callback_data.topic_id,
        callback_data.value,
        library_of(ctx),
        ctx.settings,
        ctx.now(),
    )
    await show_topic(ctx.ui, ctx.uow, ctx.member, callback_data.topic_id)


@instructor.callback_query(ClauseCB.filter(F.act == ClauseAct.agree))
async def choose_agreed(query: CallbackQuery, callback_data: ClauseCB, ctx: Ctx) -> None:
    shown = await topics.for_change(ctx.uow, ctx.member, callback_data.topic_id)
    topic_id, topic = callback_data.topic_id, shown.topic
    rows = []
    for source, text in ((Source.ours, topic.our_demand), (Source.theirs, topic.their_position)):
        if text:
            rows.append(
                [
                    button(
                        ctx.ui.label(f"labels.agree_{source.value}"),
                        ClauseCB(topic_id=topic_id, act=ClauseAct.agreed, source=source),
                    )
                ]
            )
    rows.append(
        [
            button(
                ctx.ui.label("labels.agree_typed"),
                ClauseCB(topic_id=topic_id, act=ClauseAct.agreed, source=Source.typed),
            )
        ]
    )
    rows.append([button(ctx.ui.label("labels.back_to_topic"), TopicCB(topic_id=topic_id))])
    await ctx.ui.show("topics.agree", keyboard(rows), title=title_of(ctx.ui, topic))


@instructor.callback_query(ClauseCB.filter(F.act == ClauseAct.agreed))
async def agreed(query: CallbackQuery, callback_data: ClauseCB, ctx: Ctx) -> None:
    topic_id, source = callback_data.topic_id, callback_data.source
    if source is None:
        raise Problem("common.expired_button")
    if source is Source.typed:
        await _ask(ctx, topic_id, TopicInput.agreed, "topics.ask_agreed")
        return
    await topics.agree(ctx.uow, ctx.member, topic_id, source, ctx.now())
    await show_topic(ctx.ui, ctx.uow, ctx.member, topic_id)


@instructor.callback_query(ClauseCB.filter(F.act == ClauseAct.sign))
async def ask_sign_off(query: CallbackQuery, callback_data: ClauseCB, ctx: Ctx) -> None:
    shown = await topics.for_change(ctx.uow, ctx.member, callback_data.topic_id)
    names = await topics.chiefs(ctx.uow, shown.topic.case_id)
    if names is None:
        raise Problem("topics.needs_chiefs")
    topic_id = callback_data.topic_id
    rows = [
        [
            button(
                ctx.ui.label("labels.chiefs_signed"),
                ClauseCB(topic_id=topic_id, act=ClauseAct.signed),
            )
        ],
        [button(ctx.ui.label("labels.back_to_topic"), TopicCB(topic_id=topic_id))],
    ]
    await ctx.ui.show(
        "topics.sign_off",
        keyboard(rows),
        title=title_of(ctx.ui, shown.topic),
        workers=names[0],
        employer=names[1],
    )


@instructor.callback_query(ClauseCB.filter(F.act == ClauseAct.signed))
async def signed_off(query: CallbackQuery, callback_data: ClauseCB, ctx: Ctx) -> None:
    await topics.sign_off(ctx.uow, ctx.member, callback_data.topic_id, ctx.now())
    await show_topic(ctx.ui, ctx.uow, ctx.member, callback_data.topic_id)


@router.callback_query(LedgerCB.filter(), flags=SENDS_FILE)
async def ledger(query: CallbackQuery, callback_data: LedgerCB, ctx: Ctx) -> None:
    """Every pass across the table by round, as a workbook (presentation/exports.py)."""
    rows = await topics.ledger(ctx.uow, ctx.member, callback_data.case_id)
    ui = ctx.ui
    sheet = Sheet(
        ui.label("labels.xlsx_ledger"),
        [ui.label(f"labels.xlsx_ledger_{c}") for c in LEDGER_COLUMNS],
        [
            [
                p.round_no or "",
                ui.renderer.format_datetime(p.at),
                "、".join(title_of(ui, t) for t in p.topics),
                ui.label(f"labels.ledger_side_{p.side}"),
                p.text,
                ui.enum(p.status) if p.status is not None else "",
                p.by,
            ]
            for p in rows
        ],
        widths=(6, 17, 18, 10, 60, 12, 10),
    )
    content = await ctx.offload.run(workbook, [sheet])
    name = f"议价台账-{callback_data.case_id}.xlsx"
    await ctx.bot.send_document(query.from_user.id, BufferedInputFile(content, filename=name))


# ----- a package: several topics passed as one (a form) -----
# which side → the topics (ticked, at least two still on the table) → the terms (optional)
# → review → 提交: kept on the case, in the ledger.
def _package_topics(context: StepContext) -> list[tuple[str, str]]:
    return [(str(title), str(topic_id)) for topic_id, title in context.form.get("_topics") or []]


def _collect_package(picked: list[tuple[str, str]], context: StepContext) -> dict[str, Any]:
    if len(picked) < topics.PACKAGE_MIN:
        raise Problem("topics.package_too_small", least=topics.PACKAGE_MIN)
    return {"topics": [int(value) for _, value in picked]}


def _package_note(text: str, _context: StepContext) -> str:
    return topics.parse_note(text)


def _package_summary(ui: Ui, context: StepContext) -> dict[str, Any]:
    form = context.form
    titles = dict((str(i), t) for i, t in form.get("_topics") or [])
    return {
        "side": ui.label(f"labels.ledger_side_{form['side']}"),
        "titles": [titles.get(str(i), "") for i in form.get("topics") or []],
        "note": form.get("note") or "",
    }


async def _save_package(query: CallbackQuery, form: dict[str, Any], ctx: Ctx) -> None:
    case_id = int((await ctx.form_state.get_data())["case_id"])
    await topics.add_package(
        ctx.uow,
        ctx.member,
        case_id,
        Side(form["side"]),
        [int(i) for i in form["topics"]],
        str(form.get("note") or ""),
        ctx.now(),
    )
    await ctx.form_state.clear()
    await ctx.ui.reply("topics.package_saved")
    await show_table(ctx.ui, ctx, case_id)


PACKAGE = Form(
    "pk",
    [
        Step(
            "side",
            "topics.ask_package_side",
            choices=(("labels.ledger_side_ours", "ours"), ("labels.ledger_side_theirs", "theirs")),
        ),
        Step(
            "topics",
            "topics.ask_package_topics",
            options=_package_topics,
            collect=_collect_package,
        ),
        Step("note", "topics.ask_package_note", parse=_package_note, optional=True),
    ],
    review="topics.package_review",
    summary=_package_summary,
    submit=_save_package,
)
PACKAGE.register(router, INSTRUCTOR)


@instructor.callback_query(PackageCB.filter())
async def start_package(query: CallbackQuery, callback_data: PackageCB, ctx: Ctx) -> None:
    found = await topics.tracker(ctx.uow, ctx.member, callback_data.case_id)
    if not found.editable:
        raise Problem("common.not_allowed")
    on_table = [[t.id, title_of(ctx.ui, t)] for t in topics.packable(found.topics)]
    await PACKAGE.start(Env.of(ctx), {"case_id": callback_data.case_id, "_topics": on_table})


@instructor.message(TopicInput.custom, TEXT_INPUT)
async def got_custom(message: Message, ctx: Ctx) -> None:
    case_id = int((await ctx.form_state.get_data())["case_id"])
    try:
        await topics.add(
            ctx.uow,
            ctx.member,
            case_id,
            "custom",
            ctx.now(),
            library_of(ctx),
            title=message.text or "",
        )
    except Problem as problem:
        await ctx.ui.send(message.chat.id, problem.key, **problem.params)
        return
    await ctx.form_state.clear()
    await show_table(ctx.ui, ctx, case_id)


@instructor.message(TopicInput.text, TEXT_INPUT)
@instructor.message(TopicInput.agreed, TEXT_INPUT)
async def got_text(message: Message, ctx: Ctx) -> None:
    data = await ctx.form_state.get_data()
    topic_id = int(data["topic_id"])
    text = message.text or ""
    try:
        if "side" in data:
            side = Side(str(data["side"]))
            await topics.set_text(ctx.uow, ctx.member, topic_id, side, text, ctx.now())
        else:
            await topics.agree(ctx.uow, ctx.member, topic_id, Source.typed, ctx.now(), text)
    except Problem as problem:
        await ctx.ui.send(message.chat.id, problem.key, **problem.params)
        return
    await ctx.form_state.clear()
    await show_topic(ctx.ui, ctx.uow, ctx.member, topic_id)


@instructor.message(TopicInput.custom)
@instructor.message(TopicInput.text)
@instructor.message(TopicInput.agreed)
async def needs_text(message: Message, ctx: Ctx) -> None:
    await ctx.ui.send(message.chat.id, "common.text_expected")
