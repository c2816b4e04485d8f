"""Liaisons record the higher union's approval for instructors over the normal age limit."""

from __future__ import annotations

from aiogram import F
from aiogram.types import CallbackQuery

from bot.callbacks import ApprovalCB, MenuCB
from bot.clock import Clock
from bot.presentation.keyboards import back_to_menu
from bot.presentation.ui import Ui, button, keyboard
from bot.sender import Sender
from bot.services import profiles
from bot.settings import Settings
from handlers.blueprint import Blueprint
from handlers.filters import RoleFilter
from storage.models import Role, User
from storage.uow import UnitOfWork

router = Blueprint("approvals")
router.filter("message", RoleFilter(Role.liaison))
router.filter("callback_query", RoleFilter(Role.liaison))


@router.callback_query(MenuCB.filter(F.action == "pending"))
async def pending(
    query: CallbackQuery, uow: UnitOfWork, user: User, ui: Ui, clock: Clock, settings: Settings
) -> None:
    found = await profiles.pending(uow, user, clock.now(), settings.zone)
    rows = [
        [
            button(
                f"{ui.label('labels.record_approval')} · {p.name}", ApprovalCB(profile_id=p.id or 0)
            )
        ]
        for p, _, _ in found[:8]
    ]
    rows.append([button(ui.label("labels.back_to_menu"), MenuCB(action="home"))])
    await ui.show(
        "profile.pending_list",
        keyboard(rows),
        items=[{"name": p.name, "org": org.name, "age": age} for p, org, age in found],
    )


@router.callback_query(ApprovalCB.filter())
async def record(
    query: CallbackQuery,
    callback_data: ApprovalCB,
    uow: UnitOfWork,
    user: User,
    ui: Ui,
    clock: Clock,
    sender: Sender,
) -> None:
    approved = await profiles.record_approval(uow, user, callback_data.profile_id, clock.now())
    if not approved.newly:
        await ui.send(query.from_user.id, "profile.approval_already", back_to_menu(ui))
        return
    await ui.send(
        query.from_user.id,
        "profile.approval_recorded",
        back_to_menu(ui),
        name=approved.profile.name,
    )
    other = ui.for_locale(approved.instructor.locale)
    await sender.send_message(
        approved.instructor.telegram_id, other.text("profile.approval_granted")
    )
