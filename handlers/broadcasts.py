"""Broadcast notices for liaisons: write, choose the union subtree and the role, see the
recipient count and the notice as it will look, send a test to oneself, confirm. Large
audiences wait for a second liaison's approval; a progress message counts the deliveries."""

from __future__ import annotations

from aiogram import Bot, F
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message

from bot.callbacks import BroadcastAct, BroadcastCB, Menu, MenuCB
from bot.context import Ctx
from bot.presentation.keyboards import back_to_menu
from bot.presentation.notify import tell_each
from bot.presentation.ui import Ui, button, keyboard
from bot.sender import Sender
from bot.services import broadcasts
from bot.services.errors import Problem
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


@router.callback_query(MenuCB.filter(F.action == Menu.broadcast))
async def listing(query: CallbackQuery, ctx: Ctx) -> None:
    await ctx.form_state.clear()
    found = await broadcasts.mine(ctx.uow, ctx.member)
    rows = [[button(ctx.ui.label("labels.broadcast_new"), BroadcastCB(action=BroadcastAct.new))]]
    rows += [
        [
            button(
                f"{b.created_at.astimezone(ctx.ui.renderer.zone):%m-%d %H:%M} "
                f"{ctx.ui.enum(b.status)} · {b.text[:20]}",
                BroadcastCB(action=BroadcastAct.show, value=b.id or 0),
            )
        ]
        for b in found
    ]
    rows.append([button(ctx.ui.label("labels.back_to_menu"), MenuCB(action=Menu.home))])
    await ctx.ui.show("broadcasts.list", keyboard(rows), count=len(found))


@router.callback_query(BroadcastCB.filter(F.action == BroadcastAct.show))
async def show(query: CallbackQuery, callback_data: BroadcastCB, ctx: Ctx) -> None:
    found = await broadcasts.counts(ctx.uow, ctx.member, callback_data.value)
    await ctx.ui.show(
        "broadcasts.progress",
        sent=found.counts["sent"],
        failed=found.counts["failed"],
        blocked=found.counts["blocked"],
        total=found.broadcast.total,
        finished=found.finished,
    )


@router.callback_query(BroadcastCB.filter(F.action == BroadcastAct.new))
async def new(query: CallbackQuery, ctx: Ctx) -> None:
    await ctx.form_state.set_state(Compose.text)
    back = keyboard([[button(ctx.ui.label("labels.cancel"), MenuCB(action=Menu.broadcast))]])
    await ctx.ui.show("broadcasts.ask_text", back, max=broadcasts.TEXT_MAX)


@router.message(Compose.text, TEXT_INPUT)
async def got_text(message: Message, ctx: Ctx) -> None:
    try:
        text = broadcasts.parse_text(message.text or "")
    except Problem as problem:
        await ctx.ui.send(message.chat.id, problem.key, **problem.params)
        return
    await ctx.form_state.update_data(text=text)
    await ctx.form_state.set_state(Compose.audience)
    unions = await broadcasts.audience_orgs(ctx.uow, ctx.member)
    rows = [
        [button(o.name, BroadcastCB(action=BroadcastAct.org, value=o.id or 0))] for o in unions[:40]
    ]
    rows.append([button(ctx.ui.label("labels.cancel"), MenuCB(action=Menu.broadcast))])
    await ctx.ui.send(message.chat.id, "broadcasts.ask_org", keyboard(rows))


@router.message(Compose.text)
async def needs_text(message: Message, ctx: Ctx) -> None:
    await ctx.ui.send(message.chat.id, "common.text_expected")


@router.callback_query(Compose.audience, BroadcastCB.filter(F.action == BroadcastAct.org))
async def chose_org(query: CallbackQuery, callback_data: BroadcastCB, ctx: Ctx) -> None:
    rows = [
        [
            button(
                ctx.ui.label(f"labels.broadcast_role_{role}"),
                BroadcastCB(action=BroadcastAct.role, value=callback_data.value, role=role),
            )
        ]
        for role in broadcasts.ROLES
    ]
    rows.append([button(ctx.ui.label("labels.cancel"), MenuCB(action=Menu.broadcast))])
    await ctx.ui.show("broadcasts.ask_role", keyboard(rows))


def _notice(ui: Ui, text: str, user: User, union: str) -> str:
    return ui.text("broadcasts.notice", body=text, author=user.display_name, union=union)


@router.callback_query(Compose.audience, BroadcastCB.filter(F.action == BroadcastAct.role))
async def chose_role(query: CallbackQuery, callback_data: BroadcastCB, ctx: Ctx) -> None:
    people = await broadcasts.recipients(
        ctx.uow, ctx.member, callback_data.value, callback_data.role
    )
    await ctx.form_state.update_data(org_id=callback_data.value, role=callback_data.role)
    rows = [
        [button(ctx.ui.label("labels.broadcast_test"), BroadcastCB(action=BroadcastAct.test))],
        [
            button(ctx.ui.label("labels.cancel"), MenuCB(action=Menu.broadcast)),
            button(
                ctx.ui.label("labels.broadcast_send", n=len(people)),
                BroadcastCB(action=BroadcastAct.send),
            ),
        ],
    ]
    await ctx.ui.show(
        "broadcasts.preview",
        keyboard(rows) if people else keyboard([rows[1][:1]]),  # nobody: only Cancel
        count=len(people),
        approval=len(people) > ctx.settings.broadcast_approval_above,
        limit=ctx.settings.broadcast_approval_above,
        body=(await ctx.form_state.get_data())["text"],
    )


@router.callback_query(Compose.audience, BroadcastCB.filter(F.action == BroadcastAct.test))
async def test(query: CallbackQuery, ctx: Ctx) -> None:
    data = await ctx.form_state.get_data()
    union = await broadcasts.union_of(ctx.uow, ctx.member)
    await ctx.ui.send_html(
        query.from_user.id, _notice(ctx.ui, str(data["text"]), ctx.member, union)
    )


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


@router.callback_query(Compose.audience, BroadcastCB.filter(F.action == BroadcastAct.send))
async def send(query: CallbackQuery, bot: Bot, sender: Sender, ctx: Ctx) -> None:
    data = await ctx.form_state.get_data()
    if "org_id" not in data:
        raise Problem("common.expired_button")
    broadcast = await broadcasts.create(
        ctx.uow,
        ctx.member,
        int(data["org_id"]),
        str(data["role"]),
        str(data["text"]),
        ctx.now(),
        ctx.settings,
    )
    await ctx.form_state.clear()  # a second tap finds nothing to send
    if broadcast.status is BroadcastStatus.sending:
        await _start_progress(bot, ctx.ui, ctx.uow, broadcast, query.from_user.id)
        return
    union, asked = await broadcasts.request_approval(ctx.uow, broadcast)
    if not asked:
        await ctx.ui.show(
            "broadcasts.no_approver",
            back_to_menu(ctx.ui),
            count=broadcast.total,
            limit=ctx.settings.broadcast_approval_above,
        )
        return
    await ctx.ui.show(
        "broadcasts.awaiting",
        back_to_menu(ctx.ui),
        count=broadcast.total,
        union=union.name if union else "",
        names="、".join(u.display_name for u in asked),
    )
    await tell_each(
        sender,
        ctx.ui,
        asked,
        "broadcasts.approve_request",
        (
            "labels.broadcast_approve",
            BroadcastCB(action=BroadcastAct.approve, value=broadcast.id or 0),
        ),
        author=ctx.member.display_name,
        count=broadcast.total,
        body=broadcast.text,
    )


@router.callback_query(BroadcastCB.filter(F.action == BroadcastAct.approve))
async def approve(query: CallbackQuery, callback_data: BroadcastCB, bot: Bot, ctx: Ctx) -> None:
    approved = await broadcasts.approve(ctx.uow, ctx.member, callback_data.value, ctx.now())
    broadcast, author = approved.broadcast, approved.author
    await ctx.ui.send(query.from_user.id, "broadcasts.approved", count=broadcast.total)
    if author is not None:
        await _start_progress(
            bot, ctx.ui.for_locale(author.locale), ctx.uow, broadcast, author.telegram_id
        )
