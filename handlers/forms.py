"""A guided form: steps of typed text or buttons, Back, Skip, Cancel, a review screen with
an edit button per field, then submit. State and answers live in the FSM storage, so a form
survives restarts; `/menu` or `/start` in the middle returns to the current step.

    form = Form("ent", steps, review="enterprises.review", summary=..., submit=...)
    form.register(router)          # after the router's role filters
    await form.start(ui, state, chat_id)
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from aiogram import F
from aiogram.filters import Command, CommandStart, StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

from bot.services.errors import Problem
from bot.ui import Ui, button, keyboard
from handlers.blueprint import Blueprint
from handlers.filters import TEXT_INPUT
from handlers.keyboards import back_to_menu

Parser = Callable[[str, dict[str, Any]], Any]
Submit = Callable[[CallbackQuery, dict[str, Any], dict[str, Any]], Awaitable[None]]
Summary = Callable[[Ui, dict[str, Any]], dict[str, Any]]


class FormCB(CallbackData, prefix="f"):
    form: str
    action: str
    value: str = ""


@dataclass(frozen=True)
class Step:
    field: str
    prompt: str  # text key
    parse: Parser | None = None  # a text step
    choices: tuple[tuple[str, str], ...] = ()  # a button step: (label key, value)
    optional: bool = False  # offers Skip, which stores ""


def _stored(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


class Form:
    def __init__(
        self, name: str, steps: Sequence[Step], review: str, summary: Summary, submit: Submit
    ) -> None:
        self.name = name
        self.steps = list(steps)
        self.by_field = {step.field: step for step in self.steps}
        self.states = {step.field: State(step.field, group_name=name) for step in self.steps}
        self.review_state = State("review", group_name=name)
        self.review_key = review
        self.summary = summary
        self.submit = submit

    # ----- navigation -----
    def _markup(self, ui: Ui, step: Step) -> InlineKeyboardMarkup:
        rows = [
            [button(ui.label(label), FormCB(form=self.name, action="pick", value=value))]
            for label, value in step.choices
        ]
        nav = []
        if step is not self.steps[0]:
            nav.append(button(ui.label("labels.back"), FormCB(form=self.name, action="back")))
        if step.optional:
            nav.append(button(ui.label("labels.skip"), FormCB(form=self.name, action="skip")))
        nav.append(button(ui.label("labels.cancel"), FormCB(form=self.name, action="cancel")))
        return keyboard([*rows, nav])

    async def start(
        self, ui: Ui, state: FSMContext, chat_id: int, initial: dict[str, Any] | None = None
    ) -> None:
        await state.set_data(dict(initial or {}))
        if initial and not self.missing(initial):
            await self.review(ui, state, chat_id)
        else:
            await self.ask(ui, state, chat_id, self.missing(initial or {})[0])

    def missing(self, data: dict[str, Any]) -> list[str]:
        return [step.field for step in self.steps if step.field not in data]

    async def ask(self, ui: Ui, state: FSMContext, chat_id: int, field: str) -> None:
        await state.set_state(self.states[field])
        data = await state.get_data()
        await ui.send(
            chat_id, self.by_field[field].prompt, self._markup(ui, self.by_field[field]), **data
        )

    async def review(self, ui: Ui, state: FSMContext, chat_id: int) -> None:
        await state.set_state(self.review_state)
        data = await state.update_data(_editing=False)
        edit = [
            button(
                f"✏️ {ui.label('labels.field_' + step.field)}",
                FormCB(form=self.name, action="edit", value=step.field),
            )
            for step in self.steps
        ]
        rows = [edit[i : i + 2] for i in range(0, len(edit), 2)]
        rows.append(
            [
                button(ui.label("labels.submit"), FormCB(form=self.name, action="submit")),
                button(ui.label("labels.cancel"), FormCB(form=self.name, action="cancel")),
            ]
        )
        await ui.send(chat_id, self.review_key, keyboard(rows), **self.summary(ui, data))

    async def advance(
        self, ui: Ui, state: FSMContext, chat_id: int, field: str, value: Any
    ) -> None:
        data = await state.update_data({field: _stored(value)})
        missing = self.missing(data)
        if missing and not data.get("_editing"):
            await self.ask(ui, state, chat_id, missing[0])
        else:
            await self.review(ui, state, chat_id)

    async def resume(self, ui: Ui, state: FSMContext, chat_id: int) -> None:
        current = (await state.get_state() or "").rpartition(":")[2]
        if current in self.states:
            await self.ask(ui, state, chat_id, current)
        else:
            await self.review(ui, state, chat_id)

    async def _field(self, state: FSMContext) -> str:
        return (await state.get_state() or "").rpartition(":")[2]

    # ----- handlers -----
    def register(self, router: Blueprint) -> None:
        text_states = [self.states[s.field] for s in self.steps if s.parse is not None]
        button_states = [self.states[s.field] for s in self.steps if s.parse is None]
        every_state = StateFilter(*self.states.values(), self.review_state)

        def mine(action: str) -> Any:
            return FormCB.filter((F.form == self.name) & (F.action == action))

        async def on_resume(message: Message, state: FSMContext, ui: Ui) -> None:
            await ui.send(message.chat.id, "common.form_resume")
            await self.resume(ui, state, message.chat.id)

        async def on_text(message: Message, state: FSMContext, ui: Ui) -> None:
            field = await self._field(state)
            step = self.by_field[field]
            assert step.parse is not None
            try:
                value = step.parse(message.text or "", await state.get_data())
            except Problem as problem:
                await ui.send(
                    message.chat.id, problem.key, self._markup(ui, step), **problem.params
                )
                return
            await self.advance(ui, state, message.chat.id, field, value)

        async def on_other(message: Message, state: FSMContext, ui: Ui) -> None:
            field = await self._field(state)
            text_step = field in self.by_field and self.by_field[field].parse is not None
            if message.text and message.text.startswith("/"):
                await ui.send(message.chat.id, "common.unknown")
            else:
                await ui.send(
                    message.chat.id, "common.text_expected" if text_step else "common.use_buttons"
                )
            await self.resume(ui, state, message.chat.id)

        async def on_pick(
            query: CallbackQuery, callback_data: FormCB, state: FSMContext, ui: Ui
        ) -> None:
            field = await self._field(state)
            step = self.by_field.get(field)
            await query.answer()
            if step is None or callback_data.value not in {v for _, v in step.choices}:
                await ui.send(query.from_user.id, "common.expired_button", back_to_menu(ui))
                return
            await self.advance(ui, state, query.from_user.id, field, callback_data.value)

        async def on_skip(query: CallbackQuery, state: FSMContext, ui: Ui) -> None:
            field = await self._field(state)
            await query.answer()
            if field in self.by_field and self.by_field[field].optional:
                await self.advance(ui, state, query.from_user.id, field, "")

        async def on_back(query: CallbackQuery, state: FSMContext, ui: Ui) -> None:
            fields = [s.field for s in self.steps]
            field = await self._field(state)
            index = fields.index(field) if field in fields else len(fields)
            await query.answer()
            await self.ask(ui, state, query.from_user.id, fields[max(index - 1, 0)])

        async def on_cancel(query: CallbackQuery, state: FSMContext, ui: Ui) -> None:
            await state.clear()
            await query.answer()
            await ui.send(query.from_user.id, "common.cancelled", back_to_menu(ui))

        async def on_edit(
            query: CallbackQuery, callback_data: FormCB, state: FSMContext, ui: Ui
        ) -> None:
            await query.answer()
            if callback_data.value not in self.by_field:
                await self.review(ui, state, query.from_user.id)
                return
            await state.update_data(_editing=True)
            await self.ask(ui, state, query.from_user.id, callback_data.value)

        async def on_submit(query: CallbackQuery, state: FSMContext, **data: Any) -> None:
            form = {k: v for k, v in (await state.get_data()).items() if not k.startswith("_")}
            await self.submit(query, form, {"state": state, **data})

        router.message(CommandStart(), every_state)(on_resume)
        router.message(Command("menu"), every_state)(on_resume)
        router.message(StateFilter(*text_states), TEXT_INPUT)(on_text)
        router.message(every_state)(on_other)
        if button_states:
            router.callback_query(mine("pick"), StateFilter(*button_states))(on_pick)
        router.callback_query(mine("skip"), StateFilter(*self.states.values()))(on_skip)
        router.callback_query(mine("back"), every_state)(on_back)
        router.callback_query(mine("cancel"), every_state)(on_cancel)
        router.callback_query(mine("edit"), StateFilter(self.review_state))(on_edit)
        router.callback_query(mine("submit"), StateFilter(self.review_state))(on_submit)
