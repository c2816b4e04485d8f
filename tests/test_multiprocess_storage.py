"""Conversations across processes: with REDIS_URL the FSM lives in Redis, and a form begun
on one bot process continues on another; the update guard keeps one update handled once
when it reaches two processes sharing PostgreSQL."""

from __future__ import annotations

import asyncio

from aiogram.fsm.storage.redis import RedisEventIsolation, RedisStorage

from bot.app import create_app
from bot.testing import Harness
from bot.testing.client import TEST_TOKEN
from bot.testing.session import FakeSession
from storage.models import Role
from tests.conftest import make_settings
from tests.factories import make_code, make_org


async def test_redis_backed_form_moves_between_processes(postgres_url, redis_url, clock):
    settings = make_settings(postgres_url, redis_url=redis_url)
    one = await Harness.start(settings, clock, migrate=False)
    assert isinstance(one.app.dispatcher.storage, RedisStorage)
    assert isinstance(one.app.dispatcher.fsm.events_isolation, RedisEventIsolation)
    org = await make_org(one, "洪山区总工会")
    code = await make_code(one, org, Role.instructor)
    chat = one.user(1101, "李明")
    await chat.send(f"/start {code}")
    await chat.send("李明")

    # A second process: its own app, the same Telegram, database and Redis.
    two_app = create_app(settings, clock=clock, session=FakeSession(one.telegram), token=TEST_TOKEN)
    original = one.app
    one.app = two_app
    reply = await chat.send("13812345678")
    assert "3/6" in reply.text
    one.app = original
    reply = await chat.send("1970-03-15")
    assert "4/6" in reply.text
    await two_app.close()
    await one.close()


async def test_same_update_on_two_processes_handled_once(postgres_url, clock):
    settings = make_settings(postgres_url)
    one = await Harness.start(settings, clock, migrate=False)
    two_app = create_app(settings, clock=clock, session=FakeSession(one.telegram), token=TEST_TOKEN)
    org = await make_org(one, "武汉市总工会")
    code = await make_code(one, org, Role.liaison)
    chat = one.user(1001, "王芳")
    message = one.telegram.user_message(chat.id, text=f"/start {code}")
    from aiogram.types import Update

    update = {"update_id": 777, "message": message}
    before = len(one.telegram.calls)
    await asyncio.gather(
        one.app.dispatcher.feed_update(one.app.bot, Update.model_validate(update)),
        two_app.dispatcher.feed_update(two_app.bot, Update.model_validate(update)),
    )
    welcomes = [c for c in one.telegram.calls[before:] if "联络员加入" in c.text]
    assert len(welcomes) == 1
    assert not one.telegram.errors()
    await two_app.close()
    await one.close()
