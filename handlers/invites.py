"""Liaisons invite instructors and fellow liaisons into their own union subtree."""

from __future__ import annotations

from aiogram import Bot, F
from aiogram.types import CallbackQuery
from aiogram.utils.deep_linking import create_start_link

from bot.callbacks import InviteOrgCB, InvitePageCB, InviteRevokeCB, InviteRoleCB, Menu, MenuCB
from bot.clock import Clock
from bot.context import Ctx
from bot.presentation.keyboards import back_to_menu, invite_orgs, invite_roles, open_invites, pages
from bot.presentation.ui import Ui
from bot.services import invites, orgs
from handlers.blueprint import Blueprint
from handlers.filters import OWN_ANSWER, RoleFilter
from storage.models import Role, User
from storage.uow import UnitOfWork

router = Blueprint("invites")
router.filter("message", RoleFilter(Role.liaison))
router.filter("callback_query", RoleFilter(Role.liaison))


@router.callback_query(MenuCB.filter(F.action == Menu.invite))
async def choose_role(query: CallbackQuery, ctx: Ctx) -> None:
    await ctx.ui.edit_or_send(None, query.from_user.id, "invites.choose_role", invite_roles(ctx.ui))


@router.callback_query(InviteRoleCB.filter(F.role.in_({r.value for r in Role})))
@router.callback_query(InvitePageCB.filter(F.role.in_({r.value for r in Role})))
async def choose_org(
    query: CallbackQuery, callback_data: InviteRoleCB | InvitePageCB, ctx: Ctx
) -> None:
    visible = await orgs.visible_orgs(ctx.uow, ctx.member)
    page = callback_data.page if isinstance(callback_data, InvitePageCB) else 1
    page = min(max(page, 1), pages(len(visible)))
    await ctx.ui.edit_or_send(
        None,
        query.from_user.id,
        "invites.choose_org",
        invite_orgs(ctx.ui, callback_data.role, visible, page),
        page=page,
        pages=pages(len(visible)),
    )


@router.callback_query(InviteOrgCB.filter(F.role.in_({r.value for r in Role})))
async def create(query: CallbackQuery, callback_data: InviteOrgCB, bot: Bot, ctx: Ctx) -> None:
    made = await invites.create_by_liaison(
        ctx.uow, ctx.member, callback_data.org_id, Role(callback_data.role), ctx.now(), ctx.settings
    )
    link = await create_start_link(bot, made.code)
    await ctx.ui.edit_or_send(
        None,
        query.from_user.id,
        "invites.created",
        back_to_menu(ctx.ui),
        org=made.org.name,
        role=ctx.ui.enum(made.invite.role),
        expires_at=made.invite.expires_at,
        link=link,
        code=made.code,
    )


@router.callback_query(MenuCB.filter(F.action == Menu.invites))
async def list_open(query: CallbackQuery, ctx: Ctx) -> None:
    await _show_open(query, ctx.uow, ctx.member, ctx.ui, ctx.clock)


async def _show_open(
    query: CallbackQuery, uow: UnitOfWork, user: User, ui: Ui, clock: Clock
) -> None:
    found = await invites.open_invites(uow, user, clock.now())
    items = [
        {
            "org": org.name,
            "role": ui.enum(invite.role),
            "expires_at": invite.expires_at,
        }
        for invite, org in found
    ]
    await ui.edit_or_send(
        None,
        query.from_user.id,
        "invites.open_list",
        open_invites(ui, found),
        invites=items,
    )


@router.callback_query(InviteRevokeCB.filter(), flags=OWN_ANSWER)
async def revoke(query: CallbackQuery, callback_data: InviteRevokeCB, ctx: Ctx) -> None:
    await invites.revoke(ctx.uow, ctx.member, callback_data.invite_id, ctx.now())
    await query.answer(ctx.ui.label("labels.revoke") + " ✓")
    await _show_open(query, ctx.uow, ctx.member, ctx.ui, ctx.clock)
