"""A guided form: steps of typed text, buttons or ticks (multi-select), Back, Skip, Cancel,
a review screen with an edit button per field, then submit. State and answers live in the
FSM storage, so a form survives restarts; `/menu` or `/start` in the middle returns to the
current step.

    form = Form("ent", steps, review="enterprises.review", summary=..., submit=...)
    form.register(router)          # after the router's role filters
    await form.start(ui, state, chat_id)
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from aiogram import F
from aiogram.filters import Command, CommandStart, StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

from bot.clock import Clock
from bot.context import Ctx
from bot.presentation.keyboards import back_from, back_to_menu
from bot.presentation.ui import Ui, button, keyboard
from bot.services.errors import Problem
from bot.settings import Settings
from handlers.blueprint import Blueprint
from handlers.filters import TEXT_INPUT


@dataclass(frozen=True)
class StepContext:
    """What a parser or a summary may consult besides the text: the answers so far, the
    current moment and the settings."""

    form: dict[str, Any]
    now: datetime
    settings: Settings
    ui: Ui | None = None  # for option labels in the user's language
    ctx: Ctx | None = None  # for a review that reads the database through a service


Parser = Callable[[str, StepContext], Any]
Options = Callable[[StepContext], list[tuple[str, str]]]
# Typed text on a multi-select step: the value of the option it adds (ticked), and what to
# store for it; a Problem refuses it.
Adder = Callable[[str, StepContext], tuple[str, dict[str, Any]]]
Collect = Callable[[list[tuple[str, str]], StepContext], dict[str, Any]]
Submit = Callable[[CallbackQuery, dict[str, Any], Ctx], Awaitable[None]]
# The review's variables; may be async (a count the database gives, through a service).
Summary = Callable[[Ui, StepContext], dict[str, Any] | Awaitable[dict[str, Any]]]


@dataclass(frozen=True)
class Env:
    """The per-update things a form needs: the presenter, the FSM context, the chat."""

    ui: Ui
    state: FSMContext
    chat_id: int
    clock: Clock
    settings: Settings
    ctx: Ctx | None = None

    @classmethod
    def of(cls, ctx: Ctx) -> Env:
        """The form's view of the update's context."""
        return cls(ctx.ui, ctx.form_state, ctx.ui.chat_id or 0, ctx.clock, ctx.settings, ctx)

    async def context(self) -> StepContext:
        return StepContext(
            await self.state.get_data(), self.clock.now(), self.settings, self.ui, self.ctx
        )


class FormAct(StrEnum):
    pick = "pick"  # a choice step's button (`value`)
    tick = "tick"  # a multi-select option on or off
    done = "done"  # the multi-select is complete
    back = "back"
    skip = "skip"
    cancel = "cancel"
    edit = "edit"  # from the review: change step `value`
    preview = "preview"
    submit = "submit"


class FormCB(CallbackData, prefix="f"):
    form: str
    action: FormAct
    value: str = ""


@dataclass(frozen=True)
class Step:
    field: str
    prompt: str  # text key
    parse: Parser | None = None  # a text step
    choices: tuple[tuple[str, str], ...] = ()  # a button step: (label key, value)
    optional: bool = False  # offers Skip, which stores ""
    # A photo step stores the photo's file id; with `parse` too, it takes text or a photo
    # whose caption is the text (the photo's id stored as <field>_photo).
    photo: bool = False
    label: str = ""  # the review's name for the field (default labels.field_<field>)
    # A multi-select step: `options` (label, value) to tick, read from the answers so far;
    # "done" stores what `collect` makes of the ticked ones (it may refuse with a Problem).
    # With no options offered, the step falls back to its typed `parse`.
    options: Options | None = None
    collect: Collect | None = None
    add: Adder | None = None  # a multi-select step that also takes typed options
    # Quick picks computed when asked, labels already in the user's language (beside
    # `choices`, whose labels are text keys): "closes in 7 days" from a setting.
    offers: Options | None = None

    @property
    def label_key(self) -> str:
        return self.label or f"labels.field_{self.field}"


def _stored(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


class Form:
    def __init__(
        self,
        name: str,
        steps: Sequence[Step],
        review: str,
        summary: Summary,
        submit: Submit,
        preview: Submit | None = None,
        submit_flags: dict[str, Any] | None = None,
        preview_label: str = "labels.preview_text",
    ) -> None:
        """`preview`, when given, adds a button on the review screen that shows the result
        without submitting; the form stays on its review."""
        self.name = name
        self.preview = preview
        self.steps = list(steps)
        self.by_field = {step.field: step for step in self.steps}
        self.states = {step.field: State(step.field, group_name=name) for step in self.steps}
        self.review_state = State("review", group_name=name)
        self.review_key = review
        self.summary = summary
        self.submit = submit
        self.submit_flags = submit_flags or {}  # e.g. a chat action while a file renders
        self.preview_label = preview_label

    # ----- navigation -----
    @staticmethod
    def _offered(step: Step, context: StepContext) -> list[tuple[str, str]]:
        """The step's buttons as (label, value), labels in the user's language; a quick pick
        beside typed input is offered only while its parser would accept it (no "today
        9:00" for a meeting already held, after midnight)."""
        picks = Form._picks(step, context)
        if step.parse is None:
            return picks
        offered = []
        for label, value in picks:
            try:
                step.parse(value, context)
            except Problem:
                continue
            offered.append((label, value))
        return offered

    @staticmethod
    def _picks(step: Step, context: StepContext) -> list[tuple[str, str]]:
        """Every quick pick of the step, whether or not its parser takes it right now."""
        ui = context.ui
        picks = [(ui.label(label) if ui else label, value) for label, value in step.choices]
        return picks + (step.offers(context) if step.offers is not None else [])

    @staticmethod
    def _ticked(step: Step, context: StepContext) -> list[str]:
        return [str(v) for v in context.form.get(f"_tick_{step.field}") or []]

    @staticmethod
    def _options(step: Step, context: StepContext) -> list[tuple[str, str]]:
        return step.options(context) if step.options is not None else []

    def _markup(self, ui: Ui, step: Step, context: StepContext) -> InlineKeyboardMarkup:
        rows = [
            [button(label, FormCB(form=self.name, action=FormAct.pick, value=value))]
            for label, value in self._offered(step, context)
        ]
        options = self._options(step, context)
        if options:
            ticked = set(self._ticked(step, context))
            toggles = [
                button(
                    f"{'☑️' if value in ticked else '▫️'} {label}",
                    FormCB(form=self.name, action=FormAct.tick, value=value),
                )
                for label, value in options
            ]
            rows = [toggles[i : i + 2] for i in range(0, len(toggles), 2)]
            count = sum(1 for _, value in options if value in ticked)
            done = ui.label("labels.tick_done", count=count)
            rows.append([button(done, FormCB(form=self.name, action=FormAct.done))])
        nav = []
        if step is not self.steps[0]:
            nav.append(button(ui.label("labels.back"), FormCB(form=self.name, action=FormAct.back)))
        if step.optional:
            nav.append(button(ui.label("labels.skip"), FormCB(form=self.name, action=FormAct.skip)))
        nav.append(button(ui.label("labels.cancel"), FormCB(form=self.name, action=FormAct.cancel)))
        return keyboard([*rows, nav])

    async def start(self, env: Env, initial: dict[str, Any] | None = None) -> None:
        await env.state.set_data(dict(initial or {}))
        if initial and not self.missing(initial):
            await self.review(env)
        else:
            await self.ask(env, self.missing(initial or {})[0])

    def missing(self, data: dict[str, Any]) -> list[str]:
        return [step.field for step in self.steps if step.field not in data]

    async def ask(self, env: Env, field: str) -> None:
        await env.state.set_state(self.states[field])
        data = await env.state.get_data()
        step = self.by_field[field]
        context = await env.context()
        markup = self._markup(env.ui, step, context)
        await env.ui.show(step.prompt, markup, picking=bool(self._options(step, context)), **data)

    async def review(self, env: Env) -> None:
        ui = env.ui
        await env.state.set_state(self.review_state)
        await env.state.update_data(_editing=False)
        edit = [
            button(
                f"✏️ {ui.label(step.label_key)}",
                FormCB(form=self.name, action=FormAct.edit, value=step.field),
            )
            for step in self.steps
        ]
        rows = [edit[i : i + 2] for i in range(0, len(edit), 2)]
        if self.preview is not None:
            rows.append(
                [
                    button(
                        ui.label(self.preview_label),
                        FormCB(form=self.name, action=FormAct.preview),
                    )
                ]
            )
        rows.append(
            [
                button(ui.label("labels.submit"), FormCB(form=self.name, action=FormAct.submit)),
                button(ui.label("labels.cancel"), FormCB(form=self.name, action=FormAct.cancel)),
            ]
        )
        found = self.summary(ui, await env.context())
        summary = await found if inspect.isawaitable(found) else found
        await ui.show(self.review_key, keyboard(rows), **summary)

    async def advance(
        self, env: Env, field: str, value: Any, also: dict[str, Any] | None = None
    ) -> None:
        """Store the step's value (and `also`, further fields it produced) in one write."""
        stored = {k: _stored(v) for k, v in (also or {}).items()}
        data = await env.state.update_data({**stored, field: _stored(value)})
        missing = self.missing(data)
        if missing and not data.get("_editing"):
            await self.ask(env, missing[0])
        else:
            await self.review(env)

    async def resume(self, env: Env) -> None:
        current = (await env.state.get_state() or "").rpartition(":")[2]
        if current in self.states:
            await self.ask(env, current)
        else:
            await self.review(env)

    async def _field(self, state: FSMContext) -> str:
        return (await state.get_state() or "").rpartition(":")[2]

    # ----- handlers -----
    def register(self, router: Blueprint, *filters: Any) -> None:
        """Register the form's handlers; `filters` (e.g. a role) apply to each of them."""
        text_states = [self.states[s.field] for s in self.steps if s.parse or s.add]
        button_states = [self.states[s.field] for s in self.steps if s.choices or s.offers]
        multi_states = [self.states[s.field] for s in self.steps if s.options is not None]
        photo_states = [self.states[s.field] for s in self.steps if s.photo]
        every_state = StateFilter(*self.states.values(), self.review_state)

        def mine(action: FormAct) -> Any:
            return FormCB.filter((F.form == self.name) & (F.action == action))

        async def on_resume(message: Message, ctx: Ctx) -> None:
            ui = ctx.ui
            await ui.send(message.chat.id, "common.form_resume")
            await self.resume(Env.of(ctx))

        async def on_text(message: Message, ctx: Ctx) -> None:
            state, ui = ctx.form_state, ctx.ui
            here = Env.of(ctx)
            field = await self._field(state)
            step = self.by_field[field]
            context = await here.context()
            try:
                if step.add is not None:  # a typed option, added ticked
                    value, stored = step.add(message.text or "", context)
                else:
                    assert step.parse is not None
                    value = step.parse(message.text or "", context)
            except Problem as problem:
                markup = self._markup(ui, step, context)
                await ui.send(message.chat.id, problem.key, markup, **problem.params)
                return
            if step.add is not None:
                ticked = [*self._ticked(step, context), value]
                await state.update_data({**stored, f"_tick_{field}": ticked})
                await self.ask(here, field)
                return
            also = {f"{field}_photo": ""} if step.photo else None  # text now: no photo
            await self.advance(here, field, value, also=also)

        async def on_other(message: Message, ctx: Ctx) -> None:
            state, ui = ctx.form_state, ctx.ui
            step = self.by_field.get(await self._field(state))
            if message.text and message.text.startswith("/"):
                key = "common.unknown"
            elif step is not None and step.photo and step.parse is not None:
                key = "common.text_or_photo_expected"
            elif step is not None and step.photo:
                key = "common.photo_expected"
            elif step is not None and step.parse is not None:
                key = "common.text_expected"
            else:
                key = "common.use_buttons"
            await ui.send(message.chat.id, key)
            await self.resume(Env.of(ctx))

        async def on_photo(message: Message, ctx: Ctx) -> None:
            state = ctx.form_state
            assert message.photo
            here = Env.of(ctx)
            field = await self._field(state)
            step = self.by_field[field]
            photo = message.photo[-1].file_id
            if step.parse is None:
                await self.advance(here, field, photo)
                return
            # A step taking text or a photo: the caption is the text, the photo goes beside it.
            try:
                value = step.parse(message.caption or "", await here.context())
            except Problem as problem:
                await ctx.ui.send(message.chat.id, problem.key, **problem.params)
                return
            await self.advance(here, field, value, also={f"{field}_photo": photo})

        async def on_pick(query: CallbackQuery, callback_data: FormCB, ctx: Ctx) -> None:
            state, ui = ctx.form_state, ctx.ui
            field = await self._field(state)
            step = self.by_field.get(field)
            here = Env.of(ctx)
            picks = {v for _, v in self._picks(step, await here.context())} if step else set()
            if step is None or callback_data.value not in picks:
                await ui.send(query.from_user.id, "common.expired_button", back_to_menu(ui))
                return
            value: Any = callback_data.value
            if step.parse is not None:  # a step offering quick picks beside typed input
                try:
                    value = step.parse(value, await here.context())
                except Problem as problem:
                    await ui.send(query.from_user.id, problem.key, **problem.params)
                    return
            await self.advance(here, field, value)

        async def on_tick(query: CallbackQuery, callback_data: FormCB, ctx: Ctx) -> None:
            state, ui = ctx.form_state, ctx.ui
            here = Env.of(ctx)
            field = await self._field(state)
            step = self.by_field.get(field)
            context = await here.context()
            offered = {value for _, value in self._options(step, context)} if step else set()
            if step is None or callback_data.value not in offered:
                await ui.reply("common.expired_button", back_to_menu(ui))
                return
            ticked = self._ticked(step, context)
            if callback_data.value in ticked:
                ticked.remove(callback_data.value)
            else:
                ticked.append(callback_data.value)
            await state.update_data({f"_tick_{field}": ticked})
            await self.ask(here, field)

        async def on_done(query: CallbackQuery, ctx: Ctx) -> None:
            state, ui = ctx.form_state, ctx.ui
            here = Env.of(ctx)
            field = await self._field(state)
            step = self.by_field.get(field)
            if step is None or step.collect is None:
                await ui.reply("common.expired_button", back_to_menu(ui))
                return
            context = await here.context()
            ticked = set(self._ticked(step, context))
            picked = [
                (label, value) for label, value in self._options(step, context) if value in ticked
            ]
            try:
                values = step.collect(picked, context)
            except Problem as problem:
                await ui.reply(problem.key, **problem.params)
                await self.ask(here, field)
                return
            await self.advance(here, field, values.pop(field), also=values)

        async def on_skip(query: CallbackQuery, ctx: Ctx) -> None:
            state = ctx.form_state
            field = await self._field(state)
            if field in self.by_field and self.by_field[field].optional:
                await self.advance(Env.of(ctx), field, "")

        async def on_back(query: CallbackQuery, ctx: Ctx) -> None:
            state = ctx.form_state
            fields = [s.field for s in self.steps]
            field = await self._field(state)
            index = fields.index(field) if field in fields else len(fields)
            here = Env.of(ctx)
            await self.ask(here, fields[max(index - 1, 0)])

        async def on_cancel(query: CallbackQuery, ctx: Ctx) -> None:
            state, ui = ctx.form_state, ctx.ui
            data = await state.get_data()
            await state.clear()
            await ui.show("common.cancelled", back_from(ui, data))  # back where it started

        async def on_edit(query: CallbackQuery, callback_data: FormCB, ctx: Ctx) -> None:
            state = ctx.form_state
            here = Env.of(ctx)
            if callback_data.value not in self.by_field:
                await self.review(here)
                return
            await state.update_data(_editing=True)
            await self.ask(here, callback_data.value)

        async def on_submit(query: CallbackQuery, ctx: Ctx) -> None:
            data = await ctx.form_state.get_data()
            form = {k: v for k, v in data.items() if not k.startswith("_")}
            await self.submit(query, form, ctx)

        async def on_preview(query: CallbackQuery, ctx: Ctx) -> None:
            assert self.preview is not None
            data = await ctx.form_state.get_data()
            form = {k: v for k, v in data.items() if not k.startswith("_")}
            await self.preview(query, form, ctx)

        router.message(CommandStart(), every_state, *filters)(on_resume)
        router.message(Command("menu"), every_state, *filters)(on_resume)
        router.message(StateFilter(*text_states), TEXT_INPUT, *filters)(on_text)
        if photo_states:
            router.message(StateFilter(*photo_states), F.photo, *filters)(on_photo)
        router.message(every_state, *filters)(on_other)
        if button_states:
            router.callback_query(mine(FormAct.pick), StateFilter(*button_states), *filters)(
                on_pick
            )
        if multi_states:
            router.callback_query(mine(FormAct.tick), StateFilter(*multi_states), *filters)(on_tick)
            router.callback_query(mine(FormAct.done), StateFilter(*multi_states), *filters)(on_done)
        router.callback_query(mine(FormAct.skip), StateFilter(*self.states.values()), *filters)(
            on_skip
        )
        router.callback_query(mine(FormAct.back), every_state, *filters)(on_back)
        router.callback_query(mine(FormAct.cancel), every_state, *filters)(on_cancel)
        router.callback_query(mine(FormAct.edit), StateFilter(self.review_state), *filters)(on_edit)
        router.callback_query(
            mine(FormAct.submit), StateFilter(self.review_state), *filters, flags=self.submit_flags
        )(on_submit)
        if self.preview is not None:
            review = StateFilter(self.review_state)
            router.callback_query(mine(FormAct.preview), review, *filters)(on_preview)
