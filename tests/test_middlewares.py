"""Middlewares: the error handler answers kindly and rolls back, a Telegram error while
replying keeps what the user did, floods are throttled with one note."""

from __future__ import annotations

import logging

from sqlmodel import select

from bot.emulator.telegram import ApiError
from bot.testing import Harness
from storage.models import InstructorProfile, Org, Role
from storage.uow import UnitOfWork
from tests.conftest import make_settings
from tests.factories import fill_profile, join, make_code, make_org


async def test_crash_in_a_handler_answers_kindly_and_rolls_back(
    harness: Harness, monkeypatch, caplog
):
    org = await make_org(harness, "洪山区总工会")
    code = await make_code(harness, org, Role.instructor)
    chat = harness.user(1101)
    await chat.send(f"/start {code}")
    await fill_profile(chat)

    from bot.services import profiles

    original = profiles.save

    async def broken(*args, **kwargs):
        await original(*args, **kwargs)  # writes, then fails: the write must not survive
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(profiles, "save", broken)
    with caplog.at_level(logging.ERROR, logger="xieshang.errors"):
        reply = await chat.click("提交")
    assert "出了点问题" in reply.text
    assert any("update" in r.getMessage() and r.exc_info for r in caplog.records)
    async with UnitOfWork(harness.app.db.sessions) as uow:
        assert (await uow.session.execute(select(InstructorProfile))).scalars().all() == []
    # Nothing typed was lost: the form is still at its review step.
    monkeypatch.setattr(profiles, "save", original)
    await chat.click("提交")
    async with UnitOfWork(harness.app.db.sessions) as uow:
        assert len((await uow.session.execute(select(InstructorProfile))).scalars().all()) == 1


async def test_telegram_error_while_replying_keeps_the_step(harness: Harness):
    org = await make_org(harness, "洪山区总工会")
    code = await make_code(harness, org, Role.instructor)
    chat = harness.user(1101)
    await chat.send(f"/start {code}")
    harness.telegram.inject.append(ApiError(502, "Bad Gateway"))
    await chat.send("李明")  # stored, though the next question could not be sent
    reply = await chat.send("/menu")
    assert "2/6" in reply.text


async def test_flood_is_throttled_with_one_note(sqlite_url, clock):
    settings = make_settings(sqlite_url, throttle_rate=1.0, throttle_burst=3)
    h = await Harness.start(settings, clock, migrate=False)
    chat = h.user(2001)
    replies = [await chat.send(f"消息{i}") for i in range(10)]
    notes = [r for r in replies if "操作太快" in r.text]
    answered = [r for r in replies if r.calls]
    assert len(notes) == 1
    assert len(answered) == 4  # three within the burst, then the single note
    await h.close()


async def test_liaison_sees_only_own_subtree_in_org_buttons(harness: Harness):
    await make_org(harness, "湖北省总工会")
    city = await make_org(harness, "武汉市总工会", parent="湖北省总工会")
    await make_org(harness, "洪山区总工会", parent="武汉市总工会")
    liaison = harness.user(1001)
    await join(harness, liaison, city, Role.liaison)
    await liaison.send("/menu")
    await liaison.click("邀请成员")
    await liaison.click("指导员")
    async with UnitOfWork(harness.app.db.sessions) as uow:
        names = {o.name for o in (await uow.session.execute(select(Org))).scalars().all()}
    shown = {label for label, _ in liaison.buttons()} & names
    assert shown == {"武汉市总工会", "洪山区总工会"}


async def test_org_buttons_paginate(harness: Harness):
    city = await make_org(harness, "武汉市总工会")
    for i in range(12):
        await make_org(harness, f"街道工会{i:02d}", parent="武汉市总工会")
    liaison = harness.user(1001)
    await join(harness, liaison, city, Role.liaison)
    await liaison.send("/menu")
    await liaison.click("邀请成员")
    reply = await liaison.click("指导员")
    assert "第 1/2 页" in reply.text
    reply = await liaison.click("下一页")
    assert "第 2/2 页" in reply.text
    assert not h_errors(harness)


def h_errors(h: Harness):
    return h.telegram.errors()
