"""The liaison's roster: search and page through the subtree's instructors, open a profile
with its warnings, deactivate or reactivate, read the work file, see the quotas, and export
the roster in the layout of the annual filing."""

from __future__ import annotations

from typing import Any

from aiogram import F
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message

from bot.callbacks import Menu, MenuCB, RosterAct, RosterCB
from bot.clock import Clock
from bot.context import Ctx
from bot.offload import Offloader
from bot.presentation import liaison_views as views
from bot.presentation.exports import workbook
from bot.presentation.ui import Ui, button, keyboard
from bot.services import roster
from bot.settings import Settings
from handlers.blueprint import Blueprint
from handlers.filters import OWN_ANSWER, SENDS_FILE, TEXT_INPUT, RoleFilter
from storage.models import Role, User
from storage.uow import UnitOfWork

router = Blueprint("roster")
router.filter("message", RoleFilter(Role.liaison))
router.filter("callback_query", RoleFilter(Role.liaison))


class RosterSearch(StatesGroup):
    query = State()


async def show_page(
    ui: Ui,
    chat_id: int,
    uow: UnitOfWork,
    user: User,
    page: int,
    query: str,
    clock: Clock,
    settings: Settings,
    message: Message | None = None,
) -> None:
    """A page of the roster; `message`: the page shown there is turned in place."""
    found = await roster.roster_page(uow, user, query, page, clock.now(), settings)
    page, pages, shown = found.page, found.pages, found.entries
    rows: list[list[Any]] = [
        [
            button(
                f"{'⚠️ ' if e.warnings else ''}{views.name_of(e)} · {e.union}"[:60],
                RosterCB(action=RosterAct.person, user_id=e.user.id or 0),
            )
        ]
        for e in shown
    ]
    nav = []
    if page > 0:
        nav.append(button("⬅️", RosterCB(action=RosterAct.page, page=page - 1)))
    if page < pages - 1:
        nav.append(button("➡️", RosterCB(action=RosterAct.page, page=page + 1)))
    if nav:
        rows.append(nav)
    rows.append(
        [
            button(ui.label("labels.roster_quotas"), RosterCB(action=RosterAct.quotas)),
            button(ui.label("labels.roster_export"), RosterCB(action=RosterAct.export)),
        ]
    )
    rows.append([button(ui.label("labels.back_to_menu"), MenuCB(action=Menu.home))])
    await ui.edit_or_send(
        message,
        chat_id,
        "roster.page",
        keyboard(rows),
        total=found.total,
        page=page + 1,
        pages=pages,
        query=query,
        warned=found.warned,
    )


@router.callback_query(MenuCB.filter(F.action == Menu.roster))
async def start(query: CallbackQuery, ctx: Ctx) -> None:
    await ctx.form_state.set_state(RosterSearch.query)
    await ctx.form_state.set_data({"query": ""})
    await show_page(ctx.ui, query.from_user.id, ctx.uow, ctx.member, 0, "", ctx.clock, ctx.settings)


@router.message(RosterSearch.query, TEXT_INPUT)
async def search(message: Message, ctx: Ctx) -> None:
    text = (message.text or "")[:50]
    await ctx.form_state.update_data(query=text)
    await show_page(ctx.ui, message.chat.id, ctx.uow, ctx.member, 0, text, ctx.clock, ctx.settings)


@router.callback_query(RosterCB.filter(F.action == RosterAct.page))
async def page(query: CallbackQuery, callback_data: RosterCB, ctx: Ctx) -> None:
    text = str((await ctx.form_state.get_data()).get("query", ""))
    pressed = query.message if isinstance(query.message, Message) else None
    await show_page(
        ctx.ui,
        query.from_user.id,
        ctx.uow,
        ctx.member,
        callback_data.page,
        text,
        ctx.clock,
        ctx.settings,
        pressed,
    )


async def show_person(ui: Ui, chat_id: int, entry: roster.Entry) -> None:
    uid = entry.user.id or 0
    toggle = (
        button(ui.label("labels.roster_deactivate"), RosterCB(action=RosterAct.off, user_id=uid))
        if entry.user.active
        else button(
            ui.label("labels.roster_reactivate"), RosterCB(action=RosterAct.on, user_id=uid)
        )
    )
    rows = [
        [
            button(
                ui.label("labels.roster_work_file"), RosterCB(action=RosterAct.file, user_id=uid)
            ),
            toggle,
        ],
        [button(ui.label("labels.roster_back"), RosterCB(action=RosterAct.page))],
    ]
    await ui.show("roster.person", keyboard(rows), **views.person_context(ui, entry))


@router.callback_query(RosterCB.filter(F.action == RosterAct.person))
async def open_person(query: CallbackQuery, callback_data: RosterCB, ctx: Ctx) -> None:
    entry = await roster.person(ctx.uow, ctx.member, callback_data.user_id, ctx.now(), ctx.settings)
    await show_person(ctx.ui, query.from_user.id, entry)


@router.callback_query(
    RosterCB.filter(F.action.in_({RosterAct.on, RosterAct.off})), flags=OWN_ANSWER
)
async def switch(query: CallbackQuery, callback_data: RosterCB, ctx: Ctx) -> None:
    active = callback_data.action == "on"
    entry = await roster.set_active(
        ctx.uow, ctx.member, callback_data.user_id, active, ctx.now(), ctx.settings
    )
    await query.answer(
        ctx.ui.label("labels.roster_reactivated" if active else "labels.roster_deactivated")
    )
    await show_person(ctx.ui, query.from_user.id, entry)


@router.callback_query(RosterCB.filter(F.action == RosterAct.file))
async def file(query: CallbackQuery, callback_data: RosterCB, ctx: Ctx) -> None:
    entry, events = await roster.work_file(
        ctx.uow, ctx.member, callback_data.user_id, ctx.now(), ctx.settings
    )
    back = keyboard(
        [
            [
                button(
                    ctx.ui.label("labels.roster_back"),
                    RosterCB(action=RosterAct.person, user_id=callback_data.user_id),
                )
            ]
        ]
    )
    await ctx.ui.show(
        "roster.work_file",
        back,
        name=views.name_of(entry),
        events=[
            views.event_line(ctx.ui, kind, detail) | {"at": at} for at, kind, detail in events[:40]
        ],
        more=max(len(events) - 40, 0),
    )


@router.callback_query(RosterCB.filter(F.action == RosterAct.quotas))
async def quotas(query: CallbackQuery, ctx: Ctx) -> None:
    found = await roster.quotas(ctx.uow, ctx.member, ctx.settings)
    back = keyboard([[button(ctx.ui.label("labels.roster_back"), RosterCB(action=RosterAct.page))]])
    await ctx.ui.show(
        "roster.quotas",
        back,
        rows=[
            {
                "name": q.org.name,
                "active": q.active,
                "low": q.low,
                "high": q.high,
                "short": q.short,
                "over": q.over,
            }
            for q in found
        ],
        short=sum(q.short for q in found),
    )


@router.callback_query(RosterCB.filter(F.action == RosterAct.export), flags=SENDS_FILE)
async def export(query: CallbackQuery, offload: Offloader, ctx: Ctx) -> None:
    entries = await roster.roster(ctx.uow, ctx.member, "", ctx.now(), ctx.settings)
    found = await roster.quotas(ctx.uow, ctx.member, ctx.settings)
    day = ctx.now().astimezone(ctx.settings.zone)
    await ctx.ui.send_export(
        "roster.exporting",
        len(entries),
        lambda: offload.run(workbook, views.roster_sheets(ctx.ui, entries, found)),
        f"{ctx.ui.label('labels.roster_file')}-{day:%Y-%m-%d}.xlsx",
        ctx.ui.text("roster.export_caption", count=len(entries)),
    )
