"""The instructor profile form: six steps, a review with edit buttons, then save.

State diagram (README): name → phone → birth_date → hiring_route → certificate → area →
review → saved; Back returns one step, Edit on the review jumps to a field and back.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aiogram import F
from aiogram.filters import Command, CommandStart, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

from bot.clock import Clock
from bot.sender import Sender
from bot.services import profiles
from bot.services.errors import Problem
from bot.settings import Settings
from bot.ui import Ui, button, keyboard
from handlers.blueprint import Blueprint
from handlers.callbacks import ApprovalCB, MenuCB, ProfileCB
from handlers.filters import TEXT_INPUT, RoleFilter
from handlers.keyboards import back_to_menu, form_step, hiring_routes, profile_review, profile_view
from storage.models import ProfileStatus, Role, User
from storage.uow import UnitOfWork

router = Blueprint("profile")
router.filter("message", RoleFilter(Role.instructor))
router.filter("callback_query", RoleFilter(Role.instructor))


class ProfileForm(StatesGroup):
    name = State()
    phone = State()
    birth_date = State()
    hiring_route = State()
    certificate = State()
    area = State()
    review = State()


STEPS = profiles.FIELDS
TEXT_STEPS = (
    ProfileForm.name,
    ProfileForm.phone,
    ProfileForm.birth_date,
    ProfileForm.certificate,
    ProfileForm.area,
)


def _step_markup(ui: Ui, field: str) -> InlineKeyboardMarkup:
    if field == "hiring_route":
        return hiring_routes(ui)
    return form_step(ui, back=field != STEPS[0], skip=field == "certificate")


async def ask(ui: Ui, state: FSMContext, chat_id: int, field: str) -> None:
    await state.set_state(getattr(ProfileForm, field))
    await ui.send(chat_id, f"profile.ask_{field}", _step_markup(ui, field))


async def start_form(ui: Ui, state: FSMContext, chat_id: int) -> None:
    await state.set_data({})
    await ask(ui, state, chat_id, STEPS[0])


async def show_review(
    ui: Ui, state: FSMContext, chat_id: int, clock: Clock, settings: Settings
) -> None:
    await state.set_state(ProfileForm.review)
    await state.update_data(_editing=False)
    form = await state.get_data()
    shown = profiles.preview(form, clock.now(), settings.zone, settings.legal)
    await ui.send(
        chat_id,
        "profile.review",
        profile_review(ui, STEPS),
        name=form["name"],
        phone=form["phone"],
        birth_date=form["birth_date"],
        age=shown.age,
        route=ui.label(f"labels.route_{form['hiring_route']}"),
        certificate=form["certificate"],
        area=form["area"],
        needs_approval=shown.needs_approval,
        normal_limit=settings.legal.age_normal_limit,
    )


async def advance(
    ui: Ui, state: FSMContext, chat_id: int, clock: Clock, settings: Settings, **values: str
) -> None:
    """Store a step's value, then go to the next missing step, or back to the review."""
    form = await state.update_data(values)
    missing = profiles.missing_fields(form)
    if missing and not form.get("_editing"):
        await ask(ui, state, chat_id, missing[0])
    else:
        await show_review(ui, state, chat_id, clock, settings)


def _parsers(clock: Clock, settings: Settings) -> dict[str, Callable[[str], Any]]:
    today = profiles.today_in(settings.zone, clock.now())
    return {
        "name": profiles.parse_name,
        "phone": profiles.parse_phone,
        "birth_date": lambda text: profiles.parse_birth_date(text, today, settings.legal),
        "certificate": profiles.parse_certificate,
        "area": profiles.parse_area,
    }


@router.message(StateFilter(*TEXT_STEPS), TEXT_INPUT)
async def on_text_step(
    message: Message, state: FSMContext, ui: Ui, clock: Clock, settings: Settings
) -> None:
    field = (await state.get_state() or "").rpartition(":")[2]
    try:
        value = _parsers(clock, settings)[field](message.text or "")
    except Problem as problem:
        await ui.send(message.chat.id, problem.key, _step_markup(ui, field), **problem.params)
        return
    text = value.isoformat() if hasattr(value, "isoformat") else str(value)
    await advance(ui, state, message.chat.id, clock, settings, **{field: text})


async def _resume(
    ui: Ui, state: FSMContext, chat_id: int, clock: Clock, settings: Settings
) -> None:
    field = (await state.get_state() or "").rpartition(":")[2]
    if field == "review":
        await show_review(ui, state, chat_id, clock, settings)
    else:
        await ask(ui, state, chat_id, field)


@router.message(CommandStart(), ProfileForm())
@router.message(Command("menu"), ProfileForm())
async def resume(
    message: Message, state: FSMContext, ui: Ui, clock: Clock, settings: Settings
) -> None:
    """After an interruption (or a restart) the form continues where it was left."""
    await ui.send(message.chat.id, "common.form_resume")
    await _resume(ui, state, message.chat.id, clock, settings)


@router.message(StateFilter(*TEXT_STEPS))
async def on_not_text(message: Message, state: FSMContext, ui: Ui) -> None:
    """A photo, sticker or unknown command where text is expected: say so, ask again."""
    if message.text and message.text.startswith("/"):
        await ui.send(message.chat.id, "common.unknown")
    else:
        await ui.send(message.chat.id, "common.text_expected")
    field = (await state.get_state() or "").rpartition(":")[2]
    await ask(ui, state, message.chat.id, field)


@router.message(ProfileForm.hiring_route)
@router.message(ProfileForm.review)
async def on_expected_button(
    message: Message, state: FSMContext, ui: Ui, clock: Clock, settings: Settings
) -> None:
    await ui.send(message.chat.id, "common.use_buttons")
    await _resume(ui, state, message.chat.id, clock, settings)


@router.callback_query(ProfileCB.filter(F.action == "route"), ProfileForm.hiring_route)
async def on_route(
    query: CallbackQuery,
    callback_data: ProfileCB,
    state: FSMContext,
    ui: Ui,
    clock: Clock,
    settings: Settings,
) -> None:
    route = profiles.parse_route(callback_data.value)
    await query.answer()
    await advance(ui, state, query.from_user.id, clock, settings, hiring_route=route.value)


@router.callback_query(ProfileCB.filter(F.action == "skip"), ProfileForm.certificate)
async def on_skip(
    query: CallbackQuery, state: FSMContext, ui: Ui, clock: Clock, settings: Settings
) -> None:
    await query.answer()
    await advance(ui, state, query.from_user.id, clock, settings, certificate="")


@router.callback_query(ProfileCB.filter(F.action == "back"), ProfileForm())
async def on_back(query: CallbackQuery, state: FSMContext, ui: Ui) -> None:
    field = (await state.get_state() or "").rpartition(":")[2]
    index = STEPS.index(field) if field in STEPS else len(STEPS)
    await query.answer()
    await ask(ui, state, query.from_user.id, STEPS[max(index - 1, 0)])


@router.callback_query(ProfileCB.filter(F.action == "cancel"), ProfileForm())
async def on_cancel(query: CallbackQuery, state: FSMContext, ui: Ui) -> None:
    await state.clear()
    await query.answer()
    await ui.send(query.from_user.id, "common.cancelled", back_to_menu(ui))


@router.callback_query(
    ProfileCB.filter((F.action == "edit") & F.value.in_(set(STEPS))), ProfileForm.review
)
async def on_edit(
    query: CallbackQuery, callback_data: ProfileCB, state: FSMContext, ui: Ui
) -> None:
    await state.update_data(_editing=True)
    await query.answer()
    await ask(ui, state, query.from_user.id, callback_data.value)


@router.callback_query(ProfileCB.filter(F.action == "submit"), ProfileForm.review)
async def on_submit(
    query: CallbackQuery,
    state: FSMContext,
    uow: UnitOfWork,
    user: User,
    ui: Ui,
    clock: Clock,
    settings: Settings,
    sender: Sender,
) -> None:
    form = await state.get_data()
    try:
        saved = await profiles.save(uow, user, form, clock.now(), settings.zone, settings.legal)
    except Problem as problem:
        # A stored value no longer passes (a rule changed, or an age limit was crossed).
        await query.answer()
        await ui.send(query.from_user.id, problem.key, **problem.params)
        return
    await state.clear()
    await query.answer()
    if saved.profile.status is ProfileStatus.pending_approval:
        await ui.send(
            query.from_user.id,
            "profile.saved_pending",
            back_to_menu(ui),
            normal_limit=settings.legal.age_normal_limit,
        )
    else:
        await ui.send(query.from_user.id, "profile.saved_active", back_to_menu(ui))
    for liaison in saved.liaisons:
        other = ui.for_locale(liaison.locale)
        markup = keyboard(
            [
                [
                    button(
                        other.label("labels.record_approval"),
                        ApprovalCB(profile_id=saved.profile.id or 0),
                    )
                ]
            ]
        )
        await sender.send_message(
            liaison.telegram_id,
            other.text(
                "profile.pending_for_liaison",
                name=saved.profile.name,
                org=saved.org.name,
                age=saved.age,
                normal_limit=settings.legal.age_normal_limit,
                extended_limit=settings.legal.age_extended_limit,
            ),
            reply_markup=markup,
        )


@router.callback_query(MenuCB.filter(F.action == "profile"))
async def on_profile_menu(
    query: CallbackQuery, state: FSMContext, uow: UnitOfWork, user: User, ui: Ui
) -> None:
    await query.answer()
    profile = await profiles.profile_of(uow, user)
    if profile is None:
        await start_form(ui, state, query.from_user.id)
        return
    await ui.send(
        query.from_user.id,
        "profile.view",
        profile_view(ui),
        name=profile.name,
        phone=profile.phone,
        birth_date=profile.birth_date.isoformat(),
        route=ui.label(f"labels.route_{profile.hiring_route.value}"),
        certificate=profile.certificate_no,
        area=profile.area,
        status=ui.label(f"labels.status_{profile.status.value}"),
    )


@router.callback_query(ProfileCB.filter(F.action == "edit_saved"))
async def on_edit_saved(
    query: CallbackQuery,
    state: FSMContext,
    uow: UnitOfWork,
    user: User,
    ui: Ui,
    clock: Clock,
    settings: Settings,
) -> None:
    await query.answer()
    profile = await profiles.profile_of(uow, user)
    if profile is None:
        await start_form(ui, state, query.from_user.id)
        return
    await state.set_data(profiles.as_form(profile))
    await show_review(ui, state, query.from_user.id, clock, settings)
