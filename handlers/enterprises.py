"""Registering enterprises (a guided form) and finding them by name or credit code."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aiogram import F
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message

from bot.callbacks import EnterpriseCB, FinanceCB, Menu, MenuCB, NewCaseCB
from bot.clock import Clock
from bot.context import Ctx
from bot.presentation.keyboards import back_to_menu
from bot.presentation.ui import Ui, button, keyboard
from bot.services import enterprises
from bot.services.errors import Problem
from handlers.blueprint import Blueprint
from handlers.common import show_menu
from handlers.filters import TEXT_INPUT, RoleFilter
from handlers.forms import Env, Form, Step, StepContext
from storage.models import Enterprise, Role

router = Blueprint("enterprises")
router.filter("message", RoleFilter(Role.instructor))
router.filter("callback_query", RoleFilter(Role.instructor))


class Search(StatesGroup):
    query = State()


def _yes_no(ui: Ui, value: str) -> str:
    return ui.label("labels.yes" if value == "yes" else "labels.no")


def _summary(ui: Ui, context: StepContext) -> dict[str, Any]:
    form = context.form
    return {**form, "has_union": _yes_no(ui, str(form.get("has_union", "")))}


def card_context(ui: Ui, enterprise: Enterprise) -> dict[str, Any]:
    return {
        "name": enterprise.name,
        "credit_code": enterprise.credit_code,
        "industry": enterprise.industry,
        "headcount": enterprise.headcount,
        "women": enterprise.women,
        "has_union": _yes_no(ui, "yes" if enterprise.has_union else "no"),
        "address": enterprise.address,
        "contact": enterprise.contact,
    }


async def show_card(ui: Ui, chat_id: int, enterprise: Enterprise) -> None:
    markup = keyboard(
        [
            [button(ui.label("labels.new_case"), NewCaseCB(enterprise_id=enterprise.id or 0))],
            [button(ui.label("labels.menu_finance"), FinanceCB(enterprise_id=enterprise.id or 0))],
            [button(ui.label("labels.back_to_menu"), MenuCB(action=Menu.home))],
        ]
    )
    await ui.show("enterprises.card", markup, **card_context(ui, enterprise))


async def _submit(query: CallbackQuery, form: dict[str, Any], ctx: Ctx) -> None:
    ui: Ui = ctx.ui
    state: FSMContext = ctx.form_state
    clock: Clock = ctx.clock
    try:
        saved = await enterprises.register(ctx.uow, ctx.member, form, clock.now())
    except Problem as problem:
        await ui.send(query.from_user.id, problem.key, back_to_menu(ui), **problem.params)
        return
    await state.clear()
    await ui.send(query.from_user.id, "enterprises.saved", name=saved.name)
    await show_card(ui, query.from_user.id, saved)


def _plain(parse: Callable[[str], Any]) -> Callable[[str, StepContext], Any]:
    return lambda text, _context: parse(text)


FORM = Form(
    "ent",
    [
        Step(
            "name",
            "enterprises.ask_name",
            parse=_plain(enterprises.parse_name),
            label="labels.field_enterprise_name",
        ),
        Step("credit_code", "enterprises.ask_credit_code", parse=_plain(enterprises.parse_code)),
        Step("industry", "enterprises.ask_industry", parse=_plain(enterprises.parse_industry)),
        Step("headcount", "enterprises.ask_headcount", parse=_plain(enterprises.parse_headcount)),
        Step(
            "women",
            "enterprises.ask_women",
            parse=lambda text, ctx: enterprises.parse_women(text, ctx.form),
        ),
        Step(
            "has_union",
            "enterprises.ask_has_union",
            choices=(("labels.yes", "yes"), ("labels.no", "no")),
        ),
        Step("address", "enterprises.ask_address", parse=_plain(enterprises.parse_address)),
        Step("contact", "enterprises.ask_contact", parse=_plain(enterprises.parse_contact)),
    ],
    review="enterprises.review",
    summary=_summary,
    submit=_submit,
)
FORM.register(router)


@router.callback_query(MenuCB.filter(F.action == Menu.ent_new))
async def start_registration(query: CallbackQuery, ctx: Ctx) -> None:
    await FORM.start(Env.of(ctx))


@router.callback_query(MenuCB.filter(F.action == Menu.ent_find))
async def start_search(query: CallbackQuery, ctx: Ctx) -> None:
    await ctx.form_state.set_state(Search.query)
    await ctx.ui.show("enterprises.search_prompt", back_to_menu(ctx.ui))


@router.message(Command("menu", "start"), Search.query)
async def leave_search(message: Message, ctx: Ctx) -> None:
    await ctx.form_state.clear()
    await show_menu(ctx.ui, ctx.uow, ctx.member, message.chat.id)


@router.message(Search.query, TEXT_INPUT)
async def search(message: Message, ctx: Ctx) -> None:
    found = await enterprises.search(ctx.uow, ctx.member, message.text or "")
    rows = [[button(e.name, EnterpriseCB(enterprise_id=e.id or 0))] for e in found]
    rows.append(
        [
            button(ctx.ui.label("labels.menu_ent_new"), MenuCB(action=Menu.ent_new)),
            button(ctx.ui.label("labels.back_to_menu"), MenuCB(action=Menu.home)),
        ]
    )
    await ctx.ui.send(
        message.chat.id, "enterprises.search_results", keyboard(rows), count=len(found)
    )


@router.message(Search.query)
async def search_needs_text(message: Message, ctx: Ctx) -> None:
    await ctx.ui.send(message.chat.id, "common.text_expected")


@router.callback_query(EnterpriseCB.filter())
async def open_card(query: CallbackQuery, callback_data: EnterpriseCB, ctx: Ctx) -> None:
    enterprise = await enterprises.visible(ctx.uow, ctx.member, callback_data.enterprise_id)
    await ctx.form_state.clear()
    await show_card(ctx.ui, query.from_user.id, enterprise)
