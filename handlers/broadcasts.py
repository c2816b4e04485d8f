"""Broadcast notices for liaisons: write, choose the union subtree and the role, see the
recipient count and the notice as it will look, send a test to oneself, confirm. Large
audiences wait for a second liaison's approval; a progress message counts the deliveries."""

from __future__ import annotations

from aiogram import Bot, F
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message

from bot.callbacks import BroadcastCB, MenuCB
from bot.clock import Clock
from bot.presentation.keyboards import back_to_menu
from bot.presentation.notify import tell_each
from bot.presentation.ui import Ui, button, keyboard
from bot.sender import Sender
from bot.services import broadcasts
from bot.services.errors import Problem
from bot.settings import Settings
from handlers.blueprint import Blueprint
from handlers.filters import TEXT_INPUT, RoleFilter
from storage.models import Broadcast, BroadcastStatus, Role, User
from storage.uow import UnitOfWork

router = Blueprint("broadcasts")
router.filter("message", RoleFilter(Role.liaison))
router.filter("callback_query", RoleFilter(Role.liaison))


class Compose(StatesGroup):
    text = State()
    audience = State()


@router.callback_query(MenuCB.filter(F.action == "broadcast"))
async def listing(
    query: CallbackQuery, state: FSMContext, uow: UnitOfWork, user: User, ui: Ui
) -> None:
    await state.clear()
    found = await broadcasts.mine(uow, user)
    rows = [[button(ui.label("labels.broadcast_new"), BroadcastCB(action="new"))]]
    rows += [
        [
            button(
                f"{b.created_at.astimezone(ui.renderer.zone):%m-%d %H:%M} "
                f"{ui.enum(b.status)} · {b.text[:20]}",
                BroadcastCB(action="show", value=b.id or 0),
            )
        ]
        for b in found
    ]
    rows.append([button(ui.label("labels.back_to_menu"), MenuCB(action="home"))])
    await ui.show("broadcasts.list", keyboard(rows), count=len(found))


@router.callback_query(BroadcastCB.filter(F.action == "show"))
async def show(
    query: CallbackQuery, callback_data: BroadcastCB, uow: UnitOfWork, user: User, ui: Ui
) -> None:
    found = await broadcasts.counts(uow, user, callback_data.value)
    await ui.show(
        "broadcasts.progress",
        sent=found.counts["sent"],
        failed=found.counts["failed"],
        blocked=found.counts["blocked"],
        total=found.broadcast.total,
        finished=found.finished,
    )


@router.callback_query(BroadcastCB.filter(F.action == "new"))
async def new(query: CallbackQuery, state: FSMContext, ui: Ui) -> None:
    await state.set_state(Compose.text)
    back = keyboard([[button(ui.label("labels.cancel"), MenuCB(action="broadcast"))]])
    await ui.show("broadcasts.ask_text", back, max=broadcasts.TEXT_MAX)


@router.message(Compose.text, TEXT_INPUT)
async def got_text(
    message: Message, state: FSMContext, uow: UnitOfWork, user: User, ui: Ui
) -> None:
    try:
        text = broadcasts.parse_text(message.text or "")
    except Problem as problem:
        await ui.send(message.chat.id, problem.key, **problem.params)
        return
    await state.update_data(text=text)
    await state.set_state(Compose.audience)
    unions = await broadcasts.audience_orgs(uow, user)
    rows = [[button(o.name, BroadcastCB(action="org", value=o.id or 0))] for o in unions[:40]]
    rows.append([button(ui.label("labels.cancel"), MenuCB(action="broadcast"))])
    await ui.send(message.chat.id, "broadcasts.ask_org", keyboard(rows))


@router.message(Compose.text)
async def needs_text(message: Message, ui: Ui) -> None:
    await ui.send(message.chat.id, "common.text_expected")


@router.callback_query(Compose.audience, BroadcastCB.filter(F.action == "org"))
async def chose_org(query: CallbackQuery, callback_data: BroadcastCB, ui: Ui) -> None:
    rows = [
        [
            button(
                ui.label(f"labels.broadcast_role_{role}"),
                BroadcastCB(action="role", value=callback_data.value, role=role),
            )
        ]
        for role in broadcasts.ROLES
    ]
    rows.append([button(ui.label("labels.cancel"), MenuCB(action="broadcast"))])
    await ui.show("broadcasts.ask_role", keyboard(rows))


def _notice(ui: Ui, text: str, user: User, union: str) -> str:
    return ui.text("broadcasts.notice", body=text, author=user.display_name, union=union)


@router.callback_query(Compose.audience, BroadcastCB.filter(F.action == "role"))
async def chose_role(
    query: CallbackQuery,
    callback_data: BroadcastCB,
    state: FSMContext,
    uow: UnitOfWork,
    user: User,
    ui: Ui,
    settings: Settings,
) -> None:
    people = await broadcasts.recipients(uow, user, callback_data.value, callback_data.role)
    await state.update_data(org_id=callback_data.value, role=callback_data.role)
    rows = [
        [button(ui.label("labels.broadcast_test"), BroadcastCB(action="test"))],
        [
            button(ui.label("labels.cancel"), MenuCB(action="broadcast")),
            button(ui.label("labels.broadcast_send", n=len(people)), BroadcastCB(action="send")),
        ],
    ]
    await ui.show(
        "broadcasts.preview",
        keyboard(rows) if people else keyboard([rows[1][:1]]),  # nobody: only Cancel
        count=len(people),
        approval=len(people) > settings.broadcast_approval_above,
        limit=settings.broadcast_approval_above,
        body=(await state.get_data())["text"],
    )


@router.callback_query(Compose.audience, BroadcastCB.filter(F.action == "test"))
async def test(
    query: CallbackQuery, state: FSMContext, uow: UnitOfWork, user: User, ui: Ui
) -> None:
    data = await state.get_data()
    union = await broadcasts.union_of(uow, user)
    await ui.send_html(query.from_user.id, _notice(ui, str(data["text"]), user, union))


async def _start_progress(
    bot: Bot, ui: Ui, uow: UnitOfWork, broadcast: Broadcast, chat_id: int
) -> None:
    sent = await ui.send(
        chat_id,
        "broadcasts.progress",
        sent=0,
        failed=0,
        blocked=0,
        total=broadcast.total,
        finished=False,
    )
    await broadcasts.watch(uow, broadcast.id or 0, chat_id, sent.message_id)


@router.callback_query(Compose.audience, BroadcastCB.filter(F.action == "send"))
async def send(
    query: CallbackQuery,
    state: FSMContext,
    uow: UnitOfWork,
    user: User,
    ui: Ui,
    clock: Clock,
    settings: Settings,
    bot: Bot,
    sender: Sender,
) -> None:
    data = await state.get_data()
    if "org_id" not in data:
        raise Problem("common.expired_button")
    broadcast = await broadcasts.create(
        uow, user, int(data["org_id"]), str(data["role"]), str(data["text"]), clock.now(), settings
    )
    await state.clear()  # a second tap finds nothing to send
    if broadcast.status is BroadcastStatus.sending:
        await _start_progress(bot, ui, uow, broadcast, query.from_user.id)
        return
    union, asked = await broadcasts.request_approval(uow, broadcast)
    if not asked:
        await ui.show(
            "broadcasts.no_approver",
            back_to_menu(ui),
            count=broadcast.total,
            limit=settings.broadcast_approval_above,
        )
        return
    await ui.show(
        "broadcasts.awaiting",
        back_to_menu(ui),
        count=broadcast.total,
        union=union.name if union else "",
        names="、".join(u.display_name for u in asked),
    )
    await tell_each(
        sender,
        ui,
        asked,
        "broadcasts.approve_request",
        ("labels.broadcast_approve", BroadcastCB(action="approve", value=broadcast.id or 0)),
        author=user.display_name,
        count=broadcast.total,
        body=broadcast.text,
    )


@router.callback_query(BroadcastCB.filter(F.action == "approve"))
async def approve(
    query: CallbackQuery,
    callback_data: BroadcastCB,
    uow: UnitOfWork,
    user: User,
    ui: Ui,
    clock: Clock,
    bot: Bot,
) -> None:
    approved = await broadcasts.approve(uow, user, callback_data.value, clock.now())
    broadcast, author = approved.broadcast, approved.author
    await ui.send(query.from_user.id, "broadcasts.approved", count=broadcast.total)
    if author is not None:
        await _start_progress(bot, ui.for_locale(author.locale), uow, broadcast, author.telegram_id)
