"""The instructor profile form: validation, navigation, age rule, approval, restarts."""

from __future__ import annotations

from datetime import date

from sqlmodel import select

from bot.callbacks import ApprovalCB
from bot.testing import Harness
from storage.models import HiringRoute, InstructorProfile, ProfileStatus, Role
from storage.uow import UnitOfWork
from tests.conftest import make_settings
from tests.factories import fill_profile, join, make_code, make_org


async def _profiles(h: Harness) -> list[InstructorProfile]:
    async with UnitOfWork(h.app.db.sessions) as uow:
        return list((await uow.session.execute(select(InstructorProfile))).scalars().all())


async def _new_instructor(h: Harness, telegram_id: int = 1101, org_name: str = "洪山区总工会"):
    org = await make_org(h, org_name)
    code = await make_code(h, org, Role.instructor)
    chat = h.user(telegram_id, "李明")
    await chat.send(f"/start {code}")
    return chat, org


async def test_happy_path(harness: Harness):
    chat, _ = await _new_instructor(harness)
    await fill_profile(chat)
    assert "请核对" in chat.last_text
    assert "李明" in chat.last_text
    assert "56 岁" in chat.last_text  # born 1970-03-15, today 2026-11-24
    reply = await chat.click("提交")
    assert "档案已保存" in reply.text
    [profile] = await _profiles(harness)
    assert profile.name == "李明"
    assert profile.phone == "13812345678"
    assert profile.birth_date == date(1970, 3, 15)
    assert profile.hiring_route is HiringRoute.direct
    assert profile.certificate_no == "HB-2024-001"
    assert profile.area == "洪山区电子行业"
    assert profile.status is ProfileStatus.active
    assert not harness.telegram.errors()


async def test_bad_input_at_every_step_keeps_what_was_entered(harness: Harness):
    chat, _ = await _new_instructor(harness)
    for bad in ("1", "x" * 10_000, "<b>张</b>", "&amp;", "\u200b\u202e"):
        reply = await chat.send(bad)
        assert "姓名需要" in reply.text
    reply = await chat.send_photo()
    assert "需要输入文字" in reply.text
    reply = await chat.send_sticker()
    assert "需要输入文字" in reply.text
    await chat.send("  李  明 ")

    for bad in ("12345", "138123456789", "电话", "+1 555 0100"):
        assert "格式不对" in (await chat.send(bad)).text
    await chat.send("+86 138-1234-5678")

    for bad in ("1970-02-31", "31/02/1970", "明天", "2030-01-01", "1970-13-01"):
        assert "日期" in (await chat.send(bad)).text
    assert "未满" in (await chat.send("2015-01-01")).text
    await chat.send("1970年3月15日")

    reply = await chat.send("直接聘用")
    assert "按钮" in reply.text
    await chat.click("购买社会组织服务")

    assert "证书编号只能" in (await chat.send("证书<1>")).text
    await chat.click("跳过")
    assert "负责区域需要" in (await chat.send("x")).text
    await chat.send("江岸区 & <餐饮业>")
    assert "请核对" in chat.last_text
    assert "江岸区 & <餐饮业>" in chat.last_text  # shown as typed, safely escaped
    await chat.click("提交")
    [profile] = await _profiles(harness)
    assert profile.name == "李 明"
    assert profile.phone == "13812345678"
    assert profile.certificate_no is None
    assert profile.hiring_route is HiringRoute.purchased
    assert profile.area == "江岸区 & <餐饮业>"
    assert not harness.telegram.errors()


async def test_back_and_edit_from_review(harness: Harness):
    chat, _ = await _new_instructor(harness)
    await chat.send("李明")
    await chat.send("13812345678")
    await chat.click("上一步")
    assert "2/6" in chat.last_text
    await chat.send("13900000000")
    await chat.send("1970-03-15")
    await chat.click("直接聘用")
    await chat.send("A-1")
    await chat.send("汉阳区")
    await chat.click("✏️ 电话")
    assert "2/6" in chat.last_text
    await chat.send("027-87654321")
    assert "请核对" in chat.last_text  # straight back to the review, nothing re-asked
    assert "027-87654321" in chat.last_text
    await chat.click("提交")
    [profile] = await _profiles(harness)
    assert profile.phone == "027-87654321"


async def test_double_tapped_submit_saves_once(harness: Harness):
    chat, _ = await _new_instructor(harness)
    await fill_profile(chat)
    review = dict(chat.last())  # as it was: the press edits it in place
    submit = dict(chat.buttons(review))["✅ 提交"]
    await chat.click("提交")
    reply = await chat.press(submit, review)
    assert "过期" in reply.text
    assert len(await _profiles(harness)) == 1


async def test_same_update_delivered_twice_is_handled_once(harness: Harness):
    chat, _ = await _new_instructor(harness)
    message = harness.telegram.user_message(chat.id, text="李明")
    update = {"update_id": 9_999, "message": message}
    first = await harness.feed(update)
    second = await harness.feed(update)
    assert any("2/6" in c.text for c in first)
    assert second == []


async def test_form_survives_restart(harness: Harness):
    chat, _ = await _new_instructor(harness)
    await chat.send("李明")
    await chat.send("13812345678")
    await harness.restart()

    again = harness.user(1101, "李明")
    reply = await again.send("/menu")
    assert "未完成的填写" in reply.text
    assert "3/6" in reply.text
    await again.send("1970-03-15")
    await again.click("直接聘用")
    await again.click("跳过")
    await again.send("洪山区")
    assert "13812345678" in again.last_text
    await again.click("提交")
    [profile] = await _profiles(harness)
    assert profile.name == "李明"


async def test_cancel_and_resume_from_menu(harness: Harness):
    chat, _ = await _new_instructor(harness)
    await chat.send("李明")
    reply = await chat.send("/cancel")
    assert "已取消" in reply.text
    await chat.send("/menu")
    await chat.click("填写档案")
    assert "1/6" in chat.last_text
    assert "当前没有" in (await harness.user(7000).send("/cancel")).text


async def test_over_normal_age_needs_approval_from_own_liaison(harness: Harness):
    chat, org = await _new_instructor(harness)
    liaison = harness.user(1001, "王芳")
    await join(harness, liaison, org, Role.liaison)
    other_org = await make_org(harness, "宜昌市总工会")
    outsider = harness.user(1002, "外单位")
    await join(harness, outsider, other_org, Role.liaison)

    await fill_profile(chat, birth="1959-01-10")  # 67 on 2026-11-24
    assert "需联络员登记上级工会的批准" in chat.last_text
    reply = await chat.click("提交")
    assert "已通知洪山区总工会的联络员（王芳）" in reply.text
    assert any("需要登记上级批准" in t for t in reply.sent_to(1001))
    assert reply.sent_to(1002) == []
    [profile] = await _profiles(harness)
    assert profile.status is ProfileStatus.pending_approval

    # A liaison of another union cannot approve, even with forged data.
    reply = await outsider.press(ApprovalCB(profile_id=profile.id).pack())
    assert "没有权限" in reply.text
    assert (await _profiles(harness))[0].status is ProfileStatus.pending_approval

    reply = await liaison.click("登记上级批准")
    assert "已登记" in reply.text
    assert any("已生效" in t for t in reply.sent_to(1101))
    [profile] = await _profiles(harness)
    assert profile.status is ProfileStatus.active
    assert profile.approval_recorded_at == harness.clock.now()
    reply = await liaison.press(ApprovalCB(profile_id=profile.id).pack())
    assert "已经生效" in reply.text


async def test_a_pending_profile_goes_up_the_tree_or_says_nobody_was_told(harness: Harness):
    from storage.models import OrgLevel

    city = await make_org(harness, "武汉市总工会")
    county = await make_org(harness, "洪山区总工会", OrgLevel.county, "武汉市总工会")
    code = await make_code(harness, county, Role.instructor)
    chat = harness.user(1101, "李明")
    await chat.send(f"/start {code}")
    await fill_profile(chat, birth="1959-01-10")
    reply = await chat.click("提交")
    assert "没有人收到通知" in reply.text  # no liaison anywhere: not "已通知联络员"
    assert "已通知" not in reply.text

    upper = harness.user(1001, "王芳")
    await join(harness, upper, city, Role.liaison)
    await chat.send("/menu")
    await chat.click("档案")
    await chat.click("修改")
    reply = await chat.click("提交")
    assert "已通知武汉市总工会的联络员（王芳）" in reply.text
    assert any("需要登记上级批准" in t for t in reply.sent_to(1001))


async def test_pending_list_for_liaison(harness: Harness):
    chat, org = await _new_instructor(harness)
    liaison = harness.user(1001)
    await join(harness, liaison, org, Role.liaison)
    await fill_profile(chat, birth="1960-06-01")
    await chat.click("提交")
    await liaison.send("/menu")
    reply = await liaison.click("待批准的指导员")
    assert "李明" in reply.text
    assert "66 岁" in reply.text


async def test_over_extended_age_is_refused(harness: Harness):
    chat, _ = await _new_instructor(harness)
    await chat.send("李明")
    await chat.send("13812345678")
    reply = await chat.send("1955-01-01")
    assert "最高不超过 68 岁" in reply.text
    assert "4/6" in (await chat.send("1970-01-01")).text  # still at the date step


async def test_age_limits_are_settings(sqlite_url, clock):
    settings = make_settings(sqlite_url, legal={"age_normal_limit": 60, "age_extended_limit": 62})
    h = await Harness.start(settings, clock, migrate=False)
    chat, _ = await _new_instructor(h)
    await chat.send("李明")
    await chat.send("13812345678")
    assert "最高不超过 62 岁" in (await chat.send("1962-01-01")).text
    await chat.send("1965-01-01")  # 61: needs approval under these settings
    await chat.click("直接聘用")
    await chat.click("跳过")
    await chat.send("洪山区")
    assert "超过 60 岁" in chat.last_text
    await h.close()


async def test_view_and_edit_saved_profile(harness: Harness):
    chat, _ = await _new_instructor(harness)
    await fill_profile(chat)
    await chat.click("提交")
    await chat.send("/menu")
    reply = await chat.click("我的档案")
    assert "李明" in reply.text
    assert "有效" in reply.text
    await chat.click("修改档案")
    await chat.click("✏️ 负责区域")
    await chat.send("武昌区")
    await chat.click("提交")
    [profile] = await _profiles(harness)
    assert profile.area == "武昌区"


async def test_english_form(harness: Harness):
    org = await make_org(harness, "Hongshan union")
    code = await make_code(harness, org, Role.instructor)
    chat = harness.user(1301, "Li", language="en")
    reply = await chat.send(f"/start {code}")
    assert "Instructor profile · 1/6" in reply.text
    assert "A name has" in (await chat.send("1")).text
