"""Broadcast notices for liaisons: write, choose the union subtree and the role, see the
recipient count and the notice as it will look, send a test to oneself, confirm. Large
audiences wait for a second liaison's approval; a progress message counts the deliveries."""

from __future__ import annotations

from typing import Any

from aiogram import Bot, F
from aiogram.types import CallbackQuery

from bot.callbacks import BroadcastAct, BroadcastCB, Menu, MenuCB
from bot.context import Ctx
from bot.presentation.keyboards import back_to_menu
from bot.presentation.notify import tell_each
from bot.presentation.ui import Ui, button, keyboard
from bot.services import broadcasts
from handlers.blueprint import Blueprint
from handlers.filters import RoleFilter
from handlers.forms import Env, Form, Step, StepContext
from storage.models import Broadcast, BroadcastStatus, Role, User
from storage.uow import UnitOfWork

router = Blueprint("broadcasts")
router.filter("message", RoleFilter(Role.liaison))
router.filter("callback_query", RoleFilter(Role.liaison))


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


# ----- composing a notice -----
# A form (handlers/forms.py); the state diagram is in README ("The liaison's console").
def _text(text: str, context: StepContext) -> str:
    return broadcasts.parse_text(text)


def _org_offers(context: StepContext) -> list[tuple[str, str]]:
    """The liaison's own union and those below it (read when the form starts)."""
    return [(str(name), str(org_id)) for org_id, name in context.form.get("_orgs", [])]


def _notice(ui: Ui, text: str, user: User, union: str) -> str:
    return ui.text("broadcasts.notice", body=text, author=user.display_name, union=union)


async def _preview_summary(ui: Ui, context: StepContext) -> dict[str, Any]:
    """How many it reaches, counted now, and whether a second liaison must approve."""
    ctx, form = context.ctx, context.form
    assert ctx is not None
    people = await broadcasts.recipients(ctx.uow, ctx.member, int(form["org"]), form["role"])
    return {
        "count": len(people),
        "approval": len(people) > ctx.settings.broadcast_approval_above,
        "limit": ctx.settings.broadcast_approval_above,
        "body": form["text"],
    }


async def _test(query: CallbackQuery, form: dict[str, Any], ctx: Ctx) -> None:
    """The notice as the recipients will see it, to the liaison alone."""
    union = await broadcasts.union_of(ctx.uow, ctx.member)
    await ctx.ui.send_html(
        query.from_user.id, _notice(ctx.ui, str(form["text"]), ctx.member, union)
    )
    await COMPOSE.review(Env.of(ctx))


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


async def _send(query: CallbackQuery, form: dict[str, Any], ctx: Ctx) -> None:
    broadcast = await broadcasts.create(
        ctx.uow,
        ctx.member,
        int(form["org"]),
        str(form["role"]),
        str(form["text"]),
        ctx.now(),
        ctx.settings,
    )
    await ctx.form_state.clear()  # a second tap finds nothing to send
    if broadcast.status is BroadcastStatus.sending:
        await _start_progress(ctx.bot, ctx.ui, ctx.uow, broadcast, query.from_user.id)
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
        ctx.sender,
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


COMPOSE = Form(
    "bc",
    [
        Step("text", "broadcasts.ask_text", parse=_text, label="labels.field_notice"),
        Step("org", "broadcasts.ask_org", offers=_org_offers, label="labels.field_audience_org"),
        Step(
            "role",
            "broadcasts.ask_role",
            choices=tuple((f"labels.broadcast_role_{r}", r) for r in broadcasts.ROLES),
            label="labels.field_audience_role",
        ),
    ],
    review="broadcasts.preview",
    summary=_preview_summary,
    submit=_send,
    preview=_test,
    preview_label="labels.broadcast_test",
)
COMPOSE.register(router)


@router.callback_query(BroadcastCB.filter(F.action == BroadcastAct.new))
async def new(query: CallbackQuery, ctx: Ctx) -> None:
    unions = await broadcasts.audience_orgs(ctx.uow, ctx.member)
    orgs = [[o.id or 0, o.name] for o in unions[:40]]
    await COMPOSE.start(Env.of(ctx), {"_orgs": orgs, "_max": broadcasts.TEXT_MAX})


@router.callback_query(BroadcastCB.filter(F.action == BroadcastAct.approve))
async def approve(query: CallbackQuery, callback_data: BroadcastCB, bot: Bot, ctx: Ctx) -> None:
    approved = await broadcasts.approve(ctx.uow, ctx.member, callback_data.value, ctx.now())
    broadcast, author = approved.broadcast, approved.author
    await ctx.ui.send(query.from_user.id, "broadcasts.approved", count=broadcast.total)
    if author is not None:
        await _start_progress(
            bot, ctx.ui.for_locale(author.locale), ctx.uow, broadcast, author.telegram_id
        )
