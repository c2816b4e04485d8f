"""Joining by invite, the role menus, language, privacy: chat transcripts, then rows."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from bot.callbacks import InviteOrgCB
from bot.testing import Harness
from storage.models import Invite, InviteAttempt, Role, User
from storage.uow import UnitOfWork
from tests.factories import join, make_code, make_org, user_row


async def test_stranger_is_told_how_to_join(harness: Harness):
    stranger = harness.user(2001, "路人")
    reply = await stranger.send("/start")
    assert "邀请链接" in reply.text
    reply = await stranger.send("你好")
    assert "邀请链接" in reply.text
    assert await user_row(harness, 2001) is None


async def test_stranger_in_english_gets_english(harness: Harness):
    stranger = harness.user(2002, "Sam", language="en")
    reply = await stranger.send("hello")
    assert "invite link" in reply.text


async def test_deep_link_binds_role_and_union(harness: Harness):
    city = await make_org(harness, "武汉市总工会")
    code = await make_code(harness, city, Role.liaison)
    liaison = harness.user(1001, "王芳")
    reply = await liaison.send(f"/start {code}")
    assert "工会联络员" in reply.text
    row = await user_row(harness, 1001)
    assert row is not None
    assert row.role is Role.liaison
    assert row.org_id == city.id
    assert row.display_name == "王芳"
    # The member's command menu is set for their chat, in their language.
    scopes = [k for k in harness.telegram.commands if '"chat_id": 1001' in k]
    assert scopes
    assert harness.telegram.commands[scopes[0]][0]["command"] == "menu"
    assert not harness.telegram.errors()


async def test_wrong_used_expired_codes(harness: Harness):
    city = await make_org(harness, "武汉市总工会")
    code = await make_code(harness, city, Role.liaison)
    first, second = harness.user(1001), harness.user(1002)

    assert "无效" in (await first.send("/start nonsense-code-that-does-not-exist")).text
    assert "无效" in (await first.send("/start <b>&")).text
    await first.send(f"/start {code}")
    assert "已经被使用" in (await second.send(f"/start {code}")).text

    late = await make_code(harness, city, Role.instructor)
    harness.clock.advance(hours=harness.app.settings.invite_ttl_hours + 1)
    assert "过期" in (await second.send(f"/start {late}")).text
    assert await user_row(harness, 1002) is None
    assert not harness.telegram.errors()


async def test_guessing_is_limited(harness: Harness):
    city = await make_org(harness, "武汉市总工会")
    good = await make_code(harness, city, Role.liaison)
    guesser = harness.user(3001)
    limit = harness.app.settings.invite_attempt_limit
    for attempt in range(limit):
        await guesser.send(f"/start guess{attempt:020d}")
    reply = await guesser.send(f"/start {good}")
    assert "次数太多" in reply.text
    assert await user_row(harness, 3001) is None
    # After the window the right code works.
    harness.clock.advance(minutes=harness.app.settings.invite_attempt_window_minutes + 1)
    await guesser.send(f"/start {good}")
    assert await user_row(harness, 3001) is not None


async def test_second_start_from_bound_user(harness: Harness):
    city = await make_org(harness, "武汉市总工会")
    liaison = harness.user(1001)
    await join(harness, liaison, city, Role.liaison)
    other = await make_code(harness, city, Role.instructor)
    reply = await liaison.send(f"/start {other}")
    assert "已经登记" in reply.text
    async with UnitOfWork(harness.app.db.sessions) as uow:
        rows = (await uow.session.execute(select(Invite))).scalars().all()
        assert [i.used_at is not None for i in rows].count(True) == 1
    reply = await liaison.send("/start")
    assert "请选择" in reply.text


async def test_liaison_invites_instructor_in_chat(harness: Harness):
    city = await make_org(harness, "武汉市总工会")
    await make_org(harness, "洪山区总工会", parent="武汉市总工会")
    liaison = harness.user(1001, "王芳")
    await join(harness, liaison, city, Role.liaison)

    await liaison.send("/menu")
    await liaison.click("邀请成员")
    await liaison.click("指导员")
    assert {label for label, _ in liaison.buttons()} >= {"武汉市总工会", "洪山区总工会"}
    reply = await liaison.click("洪山区总工会")
    assert "https://t.me/xieshang_test_bot?start=" in reply.text
    code = reply.text.split("?start=")[1].split()[0]

    instructor = harness.user(1101, "李明")
    reply = await instructor.send(f"/start {code}")
    assert "洪山区总工会" in reply.text
    assert "1/6" in reply.text
    row = await user_row(harness, 1101)
    assert row is not None
    assert row.role is Role.instructor

    # The liaison's open invites no longer list the used one.
    await liaison.send("/menu")
    reply = await liaison.click("未使用的邀请")
    assert "没有尚未使用的邀请" in reply.text
    assert not harness.telegram.errors()


async def test_liaison_cannot_invite_outside_subtree(harness: Harness):
    wuhan = await make_org(harness, "武汉市总工会")
    await make_org(harness, "洪山区总工会", parent="武汉市总工会")
    yichang = await make_org(harness, "宜昌市总工会")
    county_liaison = harness.user(1002)
    hongshan = await make_org(harness, "洪山区街道工会", parent="洪山区总工会")
    await join(harness, county_liaison, hongshan, Role.liaison)

    await county_liaison.send("/menu")
    await county_liaison.click("邀请成员")
    await county_liaison.click("指导员")
    labels = {label for label, _ in county_liaison.buttons()}
    assert "武汉市总工会" not in labels
    assert "宜昌市总工会" not in labels

    # Forged callback data naming unions above or beside them.
    for org in (wuhan, yichang):
        reply = await county_liaison.press(InviteOrgCB(role="instructor", org_id=org.id).pack())
        assert "没有权限" in reply.text
    async with UnitOfWork(harness.app.db.sessions) as uow:
        assert (await uow.session.execute(select(Invite))).scalars().all().__len__() == 1


async def test_revoke_invite(harness: Harness):
    city = await make_org(harness, "武汉市总工会")
    liaison = harness.user(1001)
    await join(harness, liaison, city, Role.liaison)
    await liaison.send("/menu")
    await liaison.click("邀请成员")
    await liaison.click("指导员")
    reply = await liaison.click("武汉市总工会")
    code = reply.text.split("?start=")[1].split()[0]
    await liaison.send("/menu")
    await liaison.click("未使用的邀请")
    await liaison.click("撤销")
    reply = await harness.user(1200).send(f"/start {code}")
    assert "撤销" in reply.text


async def test_workers_and_instructors_cannot_use_liaison_buttons(harness: Harness):
    city = await make_org(harness, "武汉市总工会")
    instructor = harness.user(1101)
    await join(harness, instructor, city, Role.instructor)
    stranger = harness.user(4000)
    for chat in (instructor, stranger):
        await chat.send("/help")
        reply = await chat.press(InviteOrgCB(role="instructor", org_id=city.id).pack())
        assert reply.answered_callback()
        assert "https://t.me" not in reply.text
    async with UnitOfWork(harness.app.db.sessions) as uow:
        invites = (await uow.session.execute(select(Invite))).scalars().all()
        assert len(invites) == 1  # only the one that made the instructor


async def test_language_switch_and_privacy(harness: Harness):
    city = await make_org(harness, "武汉市总工会")
    liaison = harness.user(1001)
    await join(harness, liaison, city, Role.liaison)
    await liaison.send("/lang")
    reply = await liaison.click("English")
    assert "English" in reply.text
    row = await user_row(harness, 1001)
    assert row is not None
    assert row.locale == "en"
    reply = await liaison.send("/menu")
    assert "What would you like to do?" in reply.text
    reply = await liaison.send("/privacy")
    assert "What this bot stores" in reply.text
    assert "liaison" in reply.text


async def test_privacy_for_stranger(harness: Harness):
    reply = await harness.user(5000).send("/privacy")
    assert "没有登记任何信息" in reply.text


async def test_deactivated_user_is_told(harness: Harness):
    city = await make_org(harness, "武汉市总工会")
    liaison = harness.user(1001)
    await join(harness, liaison, city, Role.liaison)
    async with UnitOfWork(harness.app.db.sessions) as uow:
        row = await uow.users.by_telegram_id(1001)
        assert row is not None
        row.active = False
        await uow.commit()
    reply = await liaison.send("/menu")
    assert "停用" in reply.text


async def test_old_button_says_expired_with_way_back(harness: Harness):
    city = await make_org(harness, "武汉市总工会")
    liaison = harness.user(1001)
    await join(harness, liaison, city, Role.liaison)
    reply = await liaison.press("pf:submit:")
    assert "过期" in reply.text
    assert any("返回菜单" in label for label, _ in liaison.buttons())
    reply = await liaison.press("zz:garbage")
    assert "过期" in reply.text
    assert not harness.telegram.errors()


async def test_invite_attempts_pruned(harness: Harness):
    await make_org(harness, "武汉市总工会")
    await harness.user(3001).send("/start wrong-code-0000000000000")
    harness.clock.advance(timedelta(hours=2))
    from bot.services import housekeeping

    async with UnitOfWork(harness.app.db.sessions) as uow:
        await housekeeping.prune(
            uow, harness.clock.now(), harness.app.settings, harness.app.survey_keys
        )
        await uow.commit()
    async with UnitOfWork(harness.app.db.sessions) as uow:
        assert (await uow.session.execute(select(InviteAttempt))).scalars().all() == []


async def test_users_table_has_only_invited_people(harness: Harness):
    for uid in range(6000, 6005):
        await harness.user(uid).send("/start")
    async with UnitOfWork(harness.app.db.sessions) as uow:
        assert (await uow.session.execute(select(User))).scalars().all() == []
