"""The instructor profile: a guided form (name, phone, birth date, hiring route,
certificate, area), a review with the age rule shown, then save; over the normal age limit
the union's liaisons are asked to record the higher union's approval.

State diagram in the README; the form engine (handlers/forms.py) gives Back, Skip, Cancel,
edit-from-review, and resume after interruptions and restarts.
"""

from __future__ import annotations

from typing import Any

from aiogram import F
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery

from bot.callbacks import ApprovalCB, Menu, MenuCB, ProfileAct, ProfileCB
from bot.clock import Clock
from bot.context import Ctx
from bot.presentation import enum_labels
from bot.presentation.keyboards import back_to_menu, profile_view
from bot.presentation.notify import tell_each
from bot.presentation.ui import Ui
from bot.sender import Sender
from bot.services import profiles
from bot.services.errors import Problem
from bot.settings import Settings
from handlers.blueprint import Blueprint
from handlers.filters import RoleFilter
from handlers.forms import Env, Form, Step, StepContext
from storage.models import HiringRoute, ProfileStatus, Role

router = Blueprint("profile")
router.filter("message", RoleFilter(Role.instructor))
router.filter("callback_query", RoleFilter(Role.instructor))


def _birth_date(text: str, context: StepContext) -> Any:
    today = profiles.today_in(context.settings.zone, context.now)
    return profiles.parse_birth_date(text, today, context.settings.legal)


def _summary(ui: Ui, context: StepContext) -> dict[str, Any]:
    form, legal = context.form, context.settings.legal
    shown = profiles.preview(form, context.now, context.settings.zone, legal)
    return {
        "name": form["name"],
        "phone": form["phone"],
        "birth_date": form["birth_date"],
        "age": shown.age,
        "route": ui.label(f"labels.route_{form['hiring_route']}"),
        "certificate": form["certificate"],
        "area": form["area"],
        "needs_approval": shown.needs_approval,
        "normal_limit": legal.age_normal_limit,
    }


async def _submit(query: CallbackQuery, form: dict[str, Any], ctx: Ctx) -> None:
    ui: Ui = ctx.ui
    state: FSMContext = ctx.form_state
    clock: Clock = ctx.clock
    settings: Settings = ctx.settings
    sender: Sender = ctx.sender
    try:
        saved = await profiles.save(
            ctx.uow, ctx.member, form, clock.now(), settings.zone, settings.legal
        )
    except Problem as problem:
        # A stored value no longer passes (a rule changed, or an age limit was crossed).
        await ui.send(query.from_user.id, problem.key, **problem.params)
        return
    await state.clear()
    legal = settings.legal
    if saved.profile.status is ProfileStatus.pending_approval:
        await ui.show(
            "profile.saved_pending",
            back_to_menu(ui),
            normal_limit=legal.age_normal_limit,
            told=saved.told.name if saved.told and saved.liaisons else "",
            names="、".join(liaison.display_name for liaison in saved.liaisons),
        )
    else:
        await ui.show("profile.saved_active", back_to_menu(ui))
    await tell_each(
        sender,
        ui,
        saved.liaisons,
        "profile.pending_for_liaison",
        ("labels.record_approval", ApprovalCB(profile_id=saved.profile.id or 0)),
        name=saved.profile.name,
        org=saved.org.name,
        age=saved.age,
        normal_limit=legal.age_normal_limit,
        extended_limit=legal.age_extended_limit,
    )


FORM = Form(
    "ProfileForm",
    [
        Step("name", "profile.ask_name", parse=lambda text, _: profiles.parse_name(text)),
        Step("phone", "profile.ask_phone", parse=lambda text, _: profiles.parse_phone(text)),
        Step("birth_date", "profile.ask_birth_date", parse=_birth_date),
        Step(
            "hiring_route",
            "profile.ask_hiring_route",
            choices=tuple((enum_labels.key(r), r.value) for r in HiringRoute),
        ),
        Step(
            "certificate",
            "profile.ask_certificate",
            parse=lambda text, _: profiles.parse_certificate(text),
            optional=True,
        ),
        Step("area", "profile.ask_area", parse=lambda text, _: profiles.parse_area(text)),
    ],
    review="profile.review",
    summary=_summary,
    submit=_submit,
)
FORM.register(router)


async def start_form(env: Env) -> None:
    await FORM.start(env)


@router.callback_query(MenuCB.filter(F.action == Menu.profile))
async def on_profile_menu(query: CallbackQuery, ctx: Ctx) -> None:
    profile = await profiles.profile_of(ctx.uow, ctx.member)
    if profile is None:
        await FORM.start(Env.of(ctx))
        return
    await ctx.ui.show(
        "profile.view",
        profile_view(ctx.ui),
        name=profile.name,
        phone=profile.phone,
        birth_date=profile.birth_date.isoformat(),
        route=ctx.ui.enum(profile.hiring_route),
        certificate=profile.certificate_no,
        area=profile.area,
        status=ctx.ui.enum(profile.status),
    )


@router.callback_query(ProfileCB.filter(F.action == ProfileAct.edit_saved))
async def on_edit_saved(query: CallbackQuery, ctx: Ctx) -> None:
    profile = await profiles.profile_of(ctx.uow, ctx.member)
    env = Env.of(ctx)
    await FORM.start(env, profiles.as_form(profile) if profile else None)
