"""One per-update context: what a step of a conversation works with, built once per update by
UserMiddleware (bot/middlewares.py) and handed to handlers that ask for `ctx: Ctx`, and to
every form's submit (handlers/forms.py)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from aiogram import Bot
from aiogram.fsm.context import FSMContext

from bot.clock import Clock
from bot.presentation.ui import Ui
from bot.services.anonymity import SurveyKeys
from bot.services.errors import AccessDenied
from bot.settings import Settings
from storage.models import User
from storage.uow import UnitOfWork

if TYPE_CHECKING:
    from bot.offload import Offloader
    from bot.presentation.pdf import PdfConverter
    from bot.presentation.rendering import Renderer
    from bot.presentation.word import Documents
    from bot.sender import Sender


@dataclass(frozen=True)
class Ctx:
    ui: Ui  # the presenter, bound to the update's chat and pressed message
    uow: UnitOfWork  # the update's unit of work (committed by the middleware)
    user: User | None  # None for a stranger
    state: FSMContext | None  # the chat's form state
    clock: Clock
    settings: Settings
    data: Mapping[str, Any]  # the rest of aiogram's context (bot, sender, renderers…)

    @classmethod
    def of(cls, data: Mapping[str, Any]) -> Ctx:
        return cls(
            ui=data["ui"],
            uow=data["uow"],
            user=data.get("user"),
            state=data.get("state"),
            clock=data["clock"],
            settings=data["settings"],
            data=data,
        )

    @property
    def member(self) -> User:
        """The member acting; a stranger reaching a member's step is refused."""
        if self.user is None:
            raise AccessDenied()
        return self.user

    @property
    def form_state(self) -> FSMContext:
        assert self.state is not None, "a form step always has its chat's state"
        return self.state

    def now(self) -> datetime:
        return self.clock.now()

    @property
    def bot(self) -> Bot:
        bot: Bot = self.data["bot"]
        return bot

    @property
    def sender(self) -> Sender:
        sender: Sender = self.data["sender"]
        return sender

    @property
    def renderer(self) -> Renderer:
        renderer: Renderer = self.data["renderer"]
        return renderer

    @property
    def documents(self) -> Documents:
        documents: Documents = self.data["documents"]
        return documents

    @property
    def pdf(self) -> PdfConverter:
        pdf: PdfConverter = self.data["pdf"]
        return pdf

    @property
    def offload(self) -> Offloader:
        offload: Offloader = self.data["offload"]
        return offload

    @property
    def keys(self) -> SurveyKeys:
        """The anonymity keys (survey answers, congress ballots), kept outside the database."""
        keys: SurveyKeys = self.data["survey_keys"]
        return keys
