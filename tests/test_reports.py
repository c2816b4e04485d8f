"""Major-problem reports: filed in a few taps, delivered to the union's liaisons with an
Acknowledge button, escalated one union up once when nobody acknowledges in time."""

from __future__ import annotations

import pytest
from sqlmodel import select

from bot import jobs
from bot.callbacks import ReportAckCB, ReportCB, ReportThreadCB
from bot.settings import Settings
from bot.testing import ChatUser, Harness
from storage.models import ProblemReport, ReportStatus, Role
from storage.uow import UnitOfWork
from tests.conftest import make_settings
from tests.factories import join, make_org


@pytest.fixture
def settings(any_db_url: str) -> Settings:
    """These flows run on SQLite and on PostgreSQL."""
    return make_settings(any_db_url)


async def _setup(h: Harness) -> tuple[ChatUser, ChatUser, ChatUser]:
    city = await make_org(h, "武汉市总工会")
    county = await make_org(h, "洪山区总工会", parent="武汉市总工会")
    instructor = h.user(1101, "李明")
    await join(h, instructor, county, Role.instructor)
    county_liaison = h.user(1001, "王芳")
    await join(h, county_liaison, county, Role.liaison)
    city_liaison = h.user(1002, "赵主任")
    await join(h, city_liaison, city, Role.liaison)
    return instructor, county_liaison, city_liaison


async def _report(chat: ChatUser, photo: bool = False) -> None:
    await chat.send("/menu")
    await chat.click("报告重大问题")
    await chat.click("停工或群体性事件风险")
    await chat.click("紧急")
    assert "5 到 2000" in (await chat.send("停工")).text
    await chat.send("一车间约 80 名职工今早停工，\n要求补发加班费。<现场平稳>")
    if photo:
        await chat.send_photo()
    else:
        assert "图片" in (await chat.send("没有照片")).text
        await chat.click("跳过")
    assert "请核对报告" in chat.last_text


async def _reports(h: Harness) -> list[ProblemReport]:
    async with UnitOfWork(h.app.db.sessions) as uow:
        return list((await uow.session.execute(select(ProblemReport))).scalars().all())


async def test_report_reaches_own_union_and_is_acknowledged(harness: Harness):
    instructor, county_liaison, city_liaison = await _setup(harness)
    await _report(instructor, photo=True)
    reply = await instructor.click("提交")
    assert "送达 1 位联络员" in reply.text
    to_liaison = reply.sent_to(1001)
    assert any("重大问题报告" in t and "停工" in t and "<现场平稳>" in t for t in to_liaison)
    assert any(c.method == "sendPhoto" and c.chat_id == 1001 for c in reply.calls)
    assert reply.sent_to(1002) == []
    [report] = await _reports(harness)
    assert report.urgent
    assert report.photo_file_id
    assert "\n" in report.text

    reply = await county_liaison.click("确认收到")
    assert "已确认收到" in reply.text
    assert any("确认收到" in t for t in reply.sent_to(1101))
    reply = await city_liaison.press(ReportAckCB(report_id=report.id).pack())
    assert "其他联络员确认" in reply.text
    [report] = await _reports(harness)
    assert report.status is ReportStatus.acknowledged

    await instructor.send("/menu")
    assert "已确认" in (await instructor.click("我的报告")).text
    assert not harness.telegram.errors()


async def test_unacknowledged_report_escalates_once(harness: Harness):
    instructor, _, _ = await _setup(harness)
    await _report(instructor)
    await instructor.click("提交")
    before = len(harness.telegram.calls)
    harness.clock.advance(minutes=harness.app.settings.report_escalation_minutes - 1)
    assert await jobs.escalation_tick(harness.app) == 0
    harness.clock.advance(minutes=2)
    assert await jobs.escalation_tick(harness.app) == 1
    assert await jobs.escalation_tick(harness.app) == 0  # once only
    sent = [c for c in harness.telegram.calls[before:] if c.method == "sendMessage"]
    assert [c.chat_id for c in sent] == [1002]
    assert "已从 洪山区总工会 报送上一级" in sent[0].text
    # The city liaison can acknowledge it.
    city_liaison = harness.user(1002)
    reply = await city_liaison.click("确认收到")
    assert "已确认收到" in reply.text


async def test_report_access(harness: Harness):
    instructor, county_liaison, _ = await _setup(harness)
    await _report(instructor)
    await instructor.click("提交")
    [report] = await _reports(harness)
    outsider = harness.user(1003)
    await join(harness, outsider, await make_org(harness, "宜昌市总工会"), Role.liaison)
    assert "没有权限" in (await outsider.press(ReportAckCB(report_id=report.id).pack())).text
    # Instructors cannot acknowledge; liaisons cannot file.
    reply = await instructor.press(ReportAckCB(report_id=report.id).pack())
    assert "确认收到" not in reply.text
    reply = await county_liaison.press(ReportCB().pack())
    assert "1/4" not in reply.text
    assert (await _reports(harness))[0].status is ReportStatus.open


async def test_report_from_a_case_card(harness: Harness):
    instructor, _, _ = await _setup(harness)
    from tests.flows import open_case, register_enterprise

    await register_enterprise(instructor)
    await open_case(instructor)
    await instructor.click("更多")  # the card's second page
    await instructor.click("报告重大问题")
    await instructor.click("企业拒绝协商")
    await instructor.click("一般")
    await instructor.send("企业连续两次拒绝参加协商会议")
    await instructor.click("跳过")
    assert "案件：光谷电子有限公司" in instructor.last_text
    reply = await instructor.click("提交")
    assert any("案件：光谷电子有限公司" in t for t in reply.sent_to(1001))
    [report] = await _reports(harness)
    assert report.case_id is not None


async def test_a_report_names_the_reporters_own_union_and_profile_name(harness: Harness):
    from tests.factories import fill_profile

    city = await make_org(harness, "武汉市总工会")
    county = await make_org(harness, "洪山区总工会", parent="武汉市总工会")
    instructor = harness.user(1101, "tg_nickname")
    await join(harness, instructor, county, Role.instructor)
    await instructor.send("/menu")
    await instructor.click("填写档案")
    await fill_profile(instructor)  # the profile's name is 李明
    await instructor.click("提交")
    city_liaison = harness.user(1002, "赵主任")
    await join(harness, city_liaison, city, Role.liaison)  # the county has no liaison
    await _report(instructor)
    reply = await instructor.click("提交")
    [told] = reply.sent_to(1002)
    assert "李明（洪山区总工会）" in told  # not the city the report went to
    assert "tg_nickname" not in told


async def test_the_liaison_answers_with_instructions_in_a_thread_both_see(harness: Harness):
    instructor, county_liaison, city_liaison = await _setup(harness)
    await _report(instructor)
    await instructor.click("提交")
    [report] = await _reports(harness)

    # The liaison answers from the report itself: it also acknowledges it.
    await county_liaison.click("回复指示")
    reply = await county_liaison.send("请先稳定现场，\n下午三点我到车间。<勿外传>")
    assert "下午三点我到车间。<勿外传>" in reply.text  # the thread, the liaison's view
    [note] = [t for t in reply.sent_to(1101) if "新回复" in t]
    assert "王芳" in note
    assert "<勿外传>" in note
    [report] = await _reports(harness)
    assert report.status is ReportStatus.acknowledged

    # The instructor opens it and answers; the liaison who acknowledged it is told.
    reply = await instructor.click("查看往来")
    assert "请先稳定现场" in reply.text
    await instructor.click("💬 回复")
    reply = await instructor.send("收到，已与车间主任沟通。")
    assert any("已与车间主任沟通" in t for t in reply.sent_to(1001))
    assert reply.sent_to(1002) == []
    await instructor.send("/menu")
    await instructor.click("我的报告")
    await instructor.click("💬")
    assert "收到，已与车间主任沟通" in instructor.last_text

    # A liaison above sees it too; a liaison elsewhere and another instructor do not.
    thread = ReportThreadCB(report_id=report.id or 0)
    assert "请先稳定现场" in (await city_liaison.press(thread.pack())).text
    elsewhere = await make_org(harness, "黄石市总工会")
    outsider = harness.user(1003, "外地联络员")
    await join(harness, outsider, elsewhere, Role.liaison)
    colleague = harness.user(1102, "张华")
    await join(harness, colleague, (await make_org(harness, "江夏区总工会")), Role.instructor)
    for person in (outsider, colleague):
        assert "没有权限" in (await person.press(thread.pack())).text
        say = ReportThreadCB(report_id=report.id or 0, say=True)
        assert "没有权限" in (await person.press(say.pack())).text
