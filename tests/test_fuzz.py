"""Bad-input fuzzing: random unicode, huge strings, HTML and Markdown specials, invisible
and right-to-left marks at every text step; forged and replayed callback data.
Property: every input gets a reply, Telegram reports no error, stored data stays sane."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiogram.fsm.storage.base import StorageKey
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.testing import ChatUser, Harness
from bot.testing.client import TEST_TOKEN
from storage.models import Role
from tests.conftest import make_settings
from tests.factories import make_code, make_org

SPECIALS = [
    "<",
    ">",
    "&",
    "&amp;",
    "<b>",
    "</i>",
    "*",
    "_",
    "`",
    "[x](y)",
    "\u200b",
    "\u202e",
    "\u2066",
    "\ufeff",
    "\n",
    "🧧",
    "𠀀",
]
texts = st.one_of(
    st.text(max_size=200),
    st.lists(st.sampled_from(SPECIALS), max_size=40).map("".join),
    st.text(alphabet=st.sampled_from(["x", "字", "<", "&"]), min_size=4000, max_size=10_000),
    st.sampled_from(["1968-05-20", "13812345678", "李明", "洪山区", "A-1", "/start", "/menu"]),
)
STEPS = ["name", "phone", "birth_date", "certificate", "area"]
FORM = {
    "name": "李明",
    "phone": "13812345678",
    "birth_date": "1970-03-15",
    "hiring_route": "direct",
}


class Env:
    def __init__(self, runner: asyncio.Runner, harness: Harness, chat: ChatUser) -> None:
        self.runner, self.harness, self.chat = runner, harness, chat

    def key(self) -> StorageKey:
        return StorageKey(
            bot_id=int(TEST_TOKEN.split(":")[0]), chat_id=self.chat.id, user_id=self.chat.id
        )


@pytest.fixture(scope="module")
def env(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    target = tmp_path_factory.mktemp("fuzz") / "fuzz.db"
    shutil.copy(sqlite_template, target)
    runner = asyncio.Runner()
    harness = runner.run(
        Harness.start(make_settings(f"sqlite+aiosqlite:///{target}"), migrate=False)
    )

    async def setup() -> ChatUser:
        org = await make_org(harness, "洪山区总工会")
        code = await make_code(harness, org, Role.instructor)
        chat = harness.user(1101, "李明")
        await chat.send(f"/start {code}")
        return chat

    chat = runner.run(setup())
    yield Env(runner, harness, chat)
    runner.run(harness.close())
    runner.close()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(step=st.sampled_from(STEPS), text=texts)
def test_any_text_at_any_step_gets_a_clean_reply(env: Env, step: str, text: str):
    async def run() -> None:
        storage = env.harness.app.dispatcher.storage
        await storage.set_state(env.key(), f"ProfileForm:{step}")
        await storage.set_data(env.key(), dict(FORM))
        before = len(env.harness.telegram.calls)
        reply = await env.chat.send(text) if text else await env.chat.send_sticker()
        assert reply.messages, f"no reply to {text[:40]!r} at {step}"
        assert env.harness.telegram.calls[before:] == reply.calls
        assert not reply.errors, reply.errors
        data = await storage.get_data(env.key())
        for value in data.values():
            assert isinstance(value, (str, bool))
            assert len(str(value)) <= 100

    env.runner.run(run())


@settings(max_examples=100, deadline=None)
@given(
    data=st.one_of(
        st.text(min_size=1, max_size=64),
        st.sampled_from(
            [
                "pf:submit:",
                "ap:1",
                "ap:-1",
                "io:liaison:1",
                "io:instructor:999999",
                "ip:instructor:-5",
                "iv:1",
                "lg:fr",
                "m:invite",
                "m:pending",
                "pf:edit:__class__",
                "pf:route:boss",
            ]
        ),
    )
)
def test_forged_callbacks_are_answered_without_errors(env: Env, data: str):
    async def run() -> None:
        storage = env.harness.app.dispatcher.storage
        await storage.set_state(env.key(), None)
        reply = await env.chat.press(data[:64])
        assert reply.answered_callback()
        assert not reply.errors, reply.errors

    env.runner.run(run())


def test_non_text_messages_get_a_reply(env: Env):
    async def run() -> None:
        storage = env.harness.app.dispatcher.storage
        for step in STEPS:
            await storage.set_state(env.key(), f"ProfileForm:{step}")
            for send in (env.chat.send_photo, env.chat.send_sticker, env.chat.send_document):
                reply = await send()
                assert reply.messages
                assert not reply.errors

    env.runner.run(run())
