"""Liaisons record the higher union's approval for instructors over the normal age limit."""

from __future__ import annotations

from aiogram import F
from aiogram.types import CallbackQuery

from bot.callbacks import ApprovalCB, Menu, MenuCB
from bot.context import Ctx
from bot.presentation.keyboards import back_to_menu
from bot.presentation.ui import button, keyboard
from bot.sender import Sender
from bot.services import profiles
from handlers.blueprint import Blueprint
from handlers.filters import RoleFilter
from storage.models import Role

router = Blueprint("approvals")
router.filter("message", RoleFilter(Role.liaison))
router.filter("callback_query", RoleFilter(Role.liaison))


@router.callback_query(MenuCB.filter(F.action == Menu.pending))
async def pending(query: CallbackQuery, ctx: Ctx) -> None:
    found = await profiles.pending(ctx.uow, ctx.member, ctx.now(), ctx.settings.zone)
    rows = [
        [
            button(
                f"{ctx.ui.label('labels.record_approval')} · {p.name}",
                ApprovalCB(profile_id=p.id or 0),
            )
        ]
        for p, _, _ in found[:8]
    ]
    rows.append([button(ctx.ui.label("labels.back_to_menu"), MenuCB(action=Menu.home))])
    await ctx.ui.show(
        "profile.pending_list",
        keyboard(rows),
        items=[{"name": p.name, "org": org.name, "age": age} for p, org, age in found],
    )


@router.callback_query(ApprovalCB.filter())
async def record(query: CallbackQuery, callback_data: ApprovalCB, sender: Sender, ctx: Ctx) -> None:
    approved = await profiles.record_approval(
        ctx.uow, ctx.member, callback_data.profile_id, ctx.now()
    )
    if not approved.newly:
        await ctx.ui.send(query.from_user.id, "profile.approval_already", back_to_menu(ctx.ui))
        return
    await ctx.ui.send(
        query.from_user.id,
        "profile.approval_recorded",
        back_to_menu(ctx.ui),
        name=approved.profile.name,
    )
    other = ctx.ui.for_locale(approved.instructor.locale)
    await sender.send_message(
        approved.instructor.telegram_id, other.text("profile.approval_granted")
    )
