"""The clause tracker in chat: a case's topics at a glance, each topic's demand, position,
status and history; changes by the case's instructor, read-only for liaisons."""

from __future__ import annotations

from typing import Any

from aiogram import F
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message

from bot.callbacks import CaseCB, TopicCB, TopicsCB
from bot.context import Ctx
from bot.presentation.ui import Ui, button, keyboard
from bot.services import topics
from bot.services.errors import AccessDenied, Problem
from handlers.blueprint import Blueprint
from handlers.filters import TEXT_INPUT, RoleFilter
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


class TopicInput(StatesGroup):
    custom = State()
    text = State()


def title_of(ui: Ui, topic: CaseTopic) -> str:
    return ui.topic(topic.key, topic.title)


async def show_table(ui: Ui, chat_id: int, uow: UnitOfWork, user: User, case_id: int) -> None:
    found = await topics.tracker(uow, user, case_id)
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
    buttons.append([button(ui.label("labels.back_to_case"), CaseCB(case_id=case_id))])
    await ui.show("topics.table", keyboard(buttons), case=names, rows=rows_text)


async def show_topic(ui: Ui, chat_id: int, uow: UnitOfWork, user: User, topic_id: int) -> None:
    shown = await topics.view(uow, user, topic_id)
    topic = shown.topic
    history = [
        {
            "at": event.at,
            "status": ui.enum(event.status),
            "ours": event.our_demand,
            "theirs": event.their_position,
        }
        for event in shown.history[-8:]
    ]
    rows: list[list[Any]] = []
    if shown.editable:
        statuses = [
            button(
                f"{ICONS[s]} {ui.enum(s)}",
                TopicCB(topic_id=topic_id, status=s.value),
            )
            for s in TopicStatus
            if s is not topic.status
        ]
        rows += [statuses[i : i + 2] for i in range(0, len(statuses), 2)]
        rows.append(
            [
                button(ui.label("labels.edit_ours"), TopicCB(topic_id=topic_id, edit="ours")),
                button(ui.label("labels.edit_theirs"), TopicCB(topic_id=topic_id, edit="theirs")),
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
        history=history,
    )


@router.callback_query(TopicsCB.filter(F.add == ""))
async def table(query: CallbackQuery, callback_data: TopicsCB, ctx: Ctx) -> None:
    await ctx.form_state.clear()
    await show_table(ctx.ui, query.from_user.id, ctx.uow, ctx.member, callback_data.case_id)


@instructor.callback_query(TopicsCB.filter(F.add == "menu"))
async def choose_topic(query: CallbackQuery, callback_data: TopicsCB, ctx: Ctx) -> None:
    found = await topics.tracker(ctx.uow, ctx.member, callback_data.case_id)
    case_id = callback_data.case_id
    rows = [
        [button(ctx.ui.label(f"labels.topic_{key}"), TopicsCB(case_id=case_id, add=key))]
        for key in found.missing_art8()
    ]
    rows.append(
        [button(ctx.ui.label("labels.custom_topic"), TopicsCB(case_id=case_id, add="custom"))]
    )
    rows.append([button(ctx.ui.label("labels.back_to_topics"), TopicsCB(case_id=case_id))])
    await ctx.ui.show("topics.choose", keyboard(rows))


@instructor.callback_query(TopicsCB.filter(F.add == "custom"))
async def ask_custom(query: CallbackQuery, callback_data: TopicsCB, ctx: Ctx) -> None:
    await topics.tracker(ctx.uow, ctx.member, callback_data.case_id)  # access check before asking
    await ctx.form_state.set_state(TopicInput.custom)
    await ctx.form_state.set_data({"case_id": callback_data.case_id})
    back = keyboard(
        [[button(ctx.ui.label("labels.cancel"), TopicsCB(case_id=callback_data.case_id))]]
    )
    await ctx.ui.show("topics.ask_custom", back, max=topics.TITLE_MAX)


@instructor.callback_query(TopicsCB.filter(~F.add.in_({"", "menu", "custom"})))
async def add_art8(query: CallbackQuery, callback_data: TopicsCB, ctx: Ctx) -> None:
    try:
        await topics.add(ctx.uow, ctx.member, callback_data.case_id, callback_data.add, ctx.now())
    except Problem as problem:
        await ctx.ui.send(query.from_user.id, problem.key, **problem.params)
        return
    await show_table(ctx.ui, query.from_user.id, ctx.uow, ctx.member, callback_data.case_id)


@router.callback_query(TopicCB.filter((F.status == "") & (F.edit == "")))
async def topic_card(query: CallbackQuery, callback_data: TopicCB, ctx: Ctx) -> None:
    await ctx.form_state.clear()
    await show_topic(ctx.ui, query.from_user.id, ctx.uow, ctx.member, callback_data.topic_id)


@instructor.callback_query(TopicCB.filter(F.status.in_({s.value for s in TopicStatus})))
async def change_status(query: CallbackQuery, callback_data: TopicCB, ctx: Ctx) -> None:
    status = TopicStatus(callback_data.status)
    await topics.set_status(ctx.uow, ctx.member, callback_data.topic_id, status, ctx.now())
    await show_topic(ctx.ui, query.from_user.id, ctx.uow, ctx.member, callback_data.topic_id)


@instructor.callback_query(TopicCB.filter(F.edit.in_({"ours", "theirs"})))
async def ask_text(query: CallbackQuery, callback_data: TopicCB, ctx: Ctx) -> None:
    shown = await topics.view(ctx.uow, ctx.member, callback_data.topic_id)
    if not shown.editable:
        raise AccessDenied()
    await ctx.form_state.set_state(TopicInput.text)
    await ctx.form_state.set_data({"topic_id": callback_data.topic_id, "side": callback_data.edit})
    back = keyboard(
        [[button(ctx.ui.label("labels.cancel"), TopicCB(topic_id=callback_data.topic_id))]]
    )
    await ctx.ui.show(f"topics.ask_{callback_data.edit}", back, max=topics.TEXT_MAX)


@instructor.message(TopicInput.custom, TEXT_INPUT)
async def got_custom(message: Message, ctx: Ctx) -> None:
    case_id = int((await ctx.form_state.get_data())["case_id"])
    try:
        await topics.add(
            ctx.uow, ctx.member, case_id, "custom", ctx.now(), title=message.text or ""
        )
    except Problem as problem:
        await ctx.ui.send(message.chat.id, problem.key, **problem.params)
        return
    await ctx.form_state.clear()
    await show_table(ctx.ui, message.chat.id, ctx.uow, ctx.member, case_id)


@instructor.message(TopicInput.text, TEXT_INPUT)
async def got_text(message: Message, ctx: Ctx) -> None:
    data = await ctx.form_state.get_data()
    topic_id = int(data["topic_id"])
    try:
        await topics.set_text(
            ctx.uow, ctx.member, topic_id, str(data["side"]), message.text or "", ctx.now()
        )
    except Problem as problem:
        await ctx.ui.send(message.chat.id, problem.key, **problem.params)
        return
    await ctx.form_state.clear()
    await show_topic(ctx.ui, message.chat.id, ctx.uow, ctx.member, topic_id)


@instructor.message(TopicInput.custom)
@instructor.message(TopicInput.text)
async def needs_text(message: Message, ctx: Ctx) -> None:
    await ctx.ui.send(message.chat.id, "common.text_expected")
