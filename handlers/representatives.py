"""A case's representatives, per side, with the legal rules checked and explained."""

from __future__ import annotations

from typing import Any

from aiogram import F
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery

from bot.callbacks import CaseCB, RepRemoveCB, RepsCB
from bot.clock import Clock
from bot.context import Ctx
from bot.presentation.ui import Ui, button, keyboard
from bot.services import representatives
from bot.services.errors import AccessDenied, Problem
from bot.settings import Settings
from handlers.blueprint import Blueprint
from handlers.filters import RoleFilter
from handlers.forms import Env, Form, Step, StepContext
from storage.models import Role, Side, User
from storage.uow import UnitOfWork

router = Blueprint("representatives")
router.filter("message", RoleFilter(Role.instructor, Role.liaison))
router.filter("callback_query", RoleFilter(Role.instructor, Role.liaison))
INSTRUCTOR = RoleFilter(Role.instructor)
instructor = router.scoped(INSTRUCTOR)  # the handlers only an instructor reaches
YES_NO = (("labels.yes", "yes"), ("labels.no", "no"))


def problem_text(ui: Ui, key: str, params: dict[str, Any]) -> str:
    shown = {k: ui.enum(v) if isinstance(v, Side) else v for k, v in params.items()}
    return ui.text(key, **shown)


async def show(
    ui: Ui, chat_id: int, uow: UnitOfWork, user: User, case_id: int, settings: Settings
) -> None:
    lineup = await representatives.line_up(uow, user, case_id, settings.legal)
    rows: list[list[Any]] = []
    if lineup.editable:
        rows.append(
            [
                button(ui.label("labels.add_workers_rep"), RepsCB(case_id=case_id, add="workers")),
                button(
                    ui.label("labels.add_employer_rep"), RepsCB(case_id=case_id, add="employer")
                ),
            ]
        )
        rows += [
            [
                button(
                    f"{ui.label('labels.remove')} {ui.enum(m.side)} {m.name}"[:60],
                    RepRemoveCB(representative_id=m.id or 0),
                )
            ]
            for m in lineup.members
        ]
    rows.append([button(ui.label("labels.back_to_case"), CaseCB(case_id=case_id))])
    await ui.show(
        "representatives.list",
        keyboard(rows),
        workers=[m for m in lineup.members if m.side is Side.workers],
        employer=[m for m in lineup.members if m.side is Side.employer],
        problems=[problem_text(ui, key, params) for key, params in lineup.problems],
        vacancy_days=settings.legal.vacancy_fill_days,
    )


def _summary(ui: Ui, context: StepContext) -> dict[str, Any]:
    form = context.form

    def yes_no(field: str) -> str:
        return ui.label("labels.yes" if form[field] == "yes" else "labels.no")

    return {
        "side_label": form["side_label"],
        "name": form["name"],
        "post": form["post"],
        "chief": yes_no("chief"),
        "expert": yes_no("expert"),
        "woman": yes_no("woman"),
    }


async def _submit(query: CallbackQuery, form: dict[str, Any], ctx: Ctx) -> None:
    ui: Ui = ctx.ui
    state: FSMContext = ctx.form_state
    clock: Clock = ctx.clock
    settings: Settings = ctx.settings
    case_id = int(form["case_id"])
    try:
        await representatives.add(ctx.uow, ctx.member, case_id, form, clock.now(), settings.legal)
    except Problem as problem:
        await ui.send_html(query.from_user.id, problem_text(ui, problem.key, problem.params))
        return
    await state.clear()
    await show(ui, query.from_user.id, ctx.uow, ctx.member, case_id, settings)


FORM = Form(
    "rep",
    [
        Step(
            "name",
            "representatives.ask_name",
            parse=lambda text, _: representatives.parse_name(text),
        ),
        Step(
            "post",
            "representatives.ask_post",
            parse=lambda t, _: representatives.parse_post(t),
            optional=True,
        ),
        Step("chief", "representatives.ask_chief", choices=YES_NO),
        Step("expert", "representatives.ask_expert", choices=YES_NO),
        Step("woman", "representatives.ask_woman", choices=YES_NO),
    ],
    review="representatives.review",
    summary=_summary,
    submit=_submit,
)
FORM.register(router, INSTRUCTOR)


@router.callback_query(RepsCB.filter(F.add == ""))
async def list_representatives(query: CallbackQuery, callback_data: RepsCB, ctx: Ctx) -> None:
    await show(ctx.ui, query.from_user.id, ctx.uow, ctx.member, callback_data.case_id, ctx.settings)


@instructor.callback_query(RepsCB.filter(F.add.in_({"workers", "employer"})))
async def start_add(query: CallbackQuery, callback_data: RepsCB, ctx: Ctx) -> None:
    lineup = await representatives.line_up(
        ctx.uow, ctx.member, callback_data.case_id, ctx.settings.legal
    )
    if not lineup.editable:
        raise AccessDenied()
    initial = {
        "case_id": callback_data.case_id,
        "side": callback_data.add,
        "side_label": ctx.ui.label(f"labels.side_{callback_data.add}"),
    }
    await FORM.start(Env.of(ctx), initial)


@instructor.callback_query(RepRemoveCB.filter())
async def remove(query: CallbackQuery, callback_data: RepRemoveCB, ctx: Ctx) -> None:
    if not callback_data.sure:
        member = await representatives.removable(
            ctx.uow, ctx.member, callback_data.representative_id
        )
        rows = [
            [
                button(
                    ctx.ui.label("labels.confirm_remove"),
                    RepRemoveCB(representative_id=member.id or 0, sure=True),
                ),
                button(ctx.ui.label("labels.cancel"), RepsCB(case_id=member.case_id)),
            ]
        ]
        await ctx.ui.show(
            "representatives.confirm_remove",
            keyboard(rows),
            name=member.name,
            side=ctx.ui.enum(member.side),
        )
        return
    case_id = await representatives.remove(ctx.uow, ctx.member, callback_data.representative_id)
    await show(ctx.ui, query.from_user.id, ctx.uow, ctx.member, case_id, ctx.settings)
