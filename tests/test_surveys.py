"""Worker opinion surveys through the real dispatcher: designing, previewing, publishing,
sharing, many workers answering (once each), closing, results and exports. The attacks on
anonymity are in tests/test_anonymity.py."""

from __future__ import annotations

import io
import re
from datetime import timedelta
from typing import Any

import pytest
from docx import Document
from openpyxl import load_workbook
from sqlmodel import select

from bot.callbacks import CaseCB, SurveyAct, SurveyCB
from bot.settings import Settings
from bot.testing import ChatUser, Harness
from storage.models import (
    Role,
    Survey,
    SurveyDraft,
    SurveyPending,
    SurveyResponse,
    SurveyVoter,
)
from storage.uow import UnitOfWork
from tests.conftest import make_settings
from tests.factories import join, make_org
from tests.flows import instructor, open_case, register_enterprise

WORKER_BASE = 7_345_600_000  # ten-digit ids: a coincidental match in a hash is negligible


@pytest.fixture
def settings(any_db_url: str) -> Settings:
    """These flows run on SQLite and on PostgreSQL."""
    return make_settings(any_db_url)


async def _rows(h: Harness, model):
    async with UnitOfWork(h.app.db.sessions) as uow:
        return list((await uow.session.execute(select(model))).scalars().all())


async def _design(chat: ChatUser) -> None:
    if not any("新建问卷" in label for label, _ in chat.buttons()):
        await chat.click("🗳 职工问卷")
    await chat.click("新建问卷")
    await chat.send("高温津贴 & <夏季>")
    await chat.click("完成")
    await chat.click("完成")
    await chat.click("发布后立即开始")
    await chat.click("7 天后")
    await chat.click("提交")


async def _published(h: Harness) -> tuple[ChatUser, str]:
    chat = await instructor(h)
    await register_enterprise(chat)
    await open_case(chat)
    await _design(chat)
    reply = await chat.click("发布")
    token = re.search(r"start=(sv_[A-Za-z0-9_-]+)", reply.text)
    assert token, reply.text
    return chat, token.group(1)


async def _answer(
    worker: ChatUser,
    token: str,
    topics: tuple[str, ...] = ("劳动报酬", "工作时间"),
    rise: str = "6.5",
    stratum: str = "一线职工",
    comment: str | None = "希望提高夜班津贴",
) -> str:
    await worker.send(f"/start {token}")
    await worker.click("开始作答")
    for topic in topics:
        await worker.click(f"▫️ {topic}")
    await worker.click("选好了")
    for topic in topics[:3]:
        if len(topics) > 1:
            await worker.click(topic)
    await worker.send(rise)
    await worker.click(stratum)
    if comment is None:
        await worker.click("跳过")
    else:
        await worker.send(comment)
    return (await worker.click("提交")).text


async def test_design_preview_publish_share(harness: Harness):
    chat = await instructor(harness)
    await register_enterprise(chat)
    await open_case(chat)
    reply = await chat.click("🗳 职工问卷")
    assert "还没有问卷" in reply.text
    await chat.click("新建问卷")
    # The case has no topics yet: pay, hours and safety are offered ticked.
    labels = [label for label, _ in chat.buttons()]
    assert "☑️ 劳动报酬" in labels
    assert "▫️ 休息休假" in labels
    await chat.click("▫️ 休息休假")
    assert "☑️ 休息休假" in [label for label, _ in chat.buttons()]
    assert any("已选 4" in label for label, _ in chat.buttons())
    assert "2 到 50" in (await chat.send("x")).text
    await chat.send("高温津贴 & <夏季>")
    assert "☑️ 高温津贴 & <夏季>" in [label for label, _ in chat.buttons()]
    reply = await chat.click("完成")
    assert "第 2 步" in reply.text
    for question in ("关心的议题", "最重要的三项", "期望工资涨幅", "岗位层级", "留言"):
        await chat.click(question)
    assert "至少选择一个问题" in (await chat.click("完成")).text
    await chat.click("▫️ 期望工资涨幅")
    await chat.click("▫️ 关心的议题")
    await chat.click("完成")
    assert "开始时间不能早于现在" in (await chat.send("2020-01-01 08:00")).text
    await chat.click("发布后立即开始")
    assert "截止时间至少" in (await chat.send("今天 0:00")).text
    reply = await chat.click("7 天后")
    assert "请核对新问卷" in reply.text
    assert "高温津贴 & <夏季>" in reply.text
    reply = await chat.click("提交")
    assert "草稿" in reply.text
    assert "高温津贴 &amp; &lt;夏季&gt;" not in reply.text
    assert "高温津贴 & <夏季>" in reply.text

    # The preview walks the worker's pages and stores nothing.
    reply = await chat.click("预览")
    assert "预览" in reply.text
    assert "不会保存" in reply.text
    await chat.click("开始作答")
    await chat.click("▫️ 劳动报酬")
    await chat.click("选好了")
    assert "期望今年工资增长" in chat.last_text
    await chat.send("5")
    reply = await chat.click("提交")
    assert "预览结束" in reply.text
    assert await _rows(harness, SurveyResponse) == []
    await chat.click("返回问卷")

    reply = await chat.click("发布")
    assert "https://t.me/" in reply.text
    assert "start=sv_" in reply.text
    reply = await chat.click("链接和二维码")
    qr = chat.last_file("photo")
    assert qr.content.startswith(b"\x89PNG")
    assert "start=sv_" in reply.text

    await chat.click("海报")
    poster = chat.last_file("document")
    assert poster.name.endswith(".docx")
    text = "\n".join(p.text for p in Document(io.BytesIO(poster.content)).paragraphs)
    assert "光谷电子有限公司" in text
    assert "start=sv_" in text
    assert "职工意见调查" in text
    assert "洪山区总工会" in text
    assert not harness.telegram.errors()


async def _answers(h: Harness) -> list[dict[str, Any]]:
    """Every submitted answer: those released into the results, and the pending ones
    (sealed; read here with the key, as only the bot can)."""
    keys = h.app.survey_keys
    found = [
        {"rise": r.rise, "stratum": r.stratum, "comment": r.comment}
        for r in await _rows(h, SurveyResponse)
    ]
    for row in await _rows(h, SurveyPending):
        data = keys.unseal(row.sealed)
        assert data is not None
        found.append({k: data[k] for k in ("rise", "stratum", "comment")})
    return found


async def test_many_workers_answer_close_and_results(harness: Harness):
    chat, token = await _published(harness)
    workers = [harness.user(WORKER_BASE + i, f"职工{i}") for i in range(15)]

    # Fewer than k answers: only the count shows.
    for worker in workers[:4]:
        assert "匿名保存" in await _answer(worker, token)
    reply = await chat.click("结果")
    assert "答卷：4 份" in reply.text
    assert "议题排序" not in reply.text
    assert "满 5 份后" in reply.text
    assert await _rows(harness, SurveyResponse) == []  # nothing released below k

    for i, worker in enumerate(workers[4:14], start=4):
        level = "中层管理" if i == 11 else "一线职工"
        picks = ("工作时间", "劳动安全与卫生", "劳动报酬") if i % 2 else ("劳动报酬", "工作时间")
        comment = (
            "联系我 13912345678 或 a.b@example.com，身份证 420102199001011234" if i == 12 else None
        )
        await _answer(worker, token, topics=picks, rise=str(i), stratum=level, comment=comment)

    # Answering twice is refused, and an answer cannot be changed.
    first = workers[0]
    reply = await first.send(f"/start {token}")
    assert "您已经答过" in reply.text
    reply = await first.click("开始作答")
    assert "已经答过" in reply.text
    assert len(await _answers(harness)) == 14

    # 14 answers: the results count the 10 released in two batches of k, no more.
    await chat.click("返回问卷")
    reply = await chat.click("结果")
    text = reply.text
    assert "答卷：14 份\n（结果含 10 份，其余 4 份满 5 份后一并计入）" in text
    assert len(await _rows(harness, SurveyResponse)) == 10
    await _answer(workers[14], token, comment=None)
    await chat.click("返回问卷")
    reply = await chat.click("结果")
    text = reply.text
    assert "答卷：15 份" in text
    assert "结果含" not in text
    assert "劳动报酬" in text
    assert "分" in text
    # The lone middle manager: no line, not even "fewer than 5".
    assert "中层管理" not in text
    assert "少于" not in text
    assert "一线职工：14 人" in text
    assert "中位数" in text
    assert "13912345678" not in text
    assert "example.com" not in text
    assert "＊＊＊" in text
    chart = chat.last_file("photo")
    assert chart.content.startswith(b"\x89PNG")

    await chat.click("导出 Excel")
    export = chat.last_file("document")
    assert export.name.endswith(".xlsx")
    assert "问卷结果" in export.name
    book = load_workbook(io.BytesIO(export.content))
    assert book.sheetnames[0] == "议题排序"
    raw = book["原始答卷"]
    rows = list(raw.iter_rows(min_row=2, values_only=True))
    assert len(rows) == 15
    assert all(r[6] in ("一线职工", None) for r in rows)  # the small stratum is blanked
    assert len(book["议题排序"]._charts) == 1
    assert len(book["每日答卷"]._charts) == 1

    # Closing: answers stop, and who answered is forgotten.
    await chat.click("返回问卷")
    reply = await chat.click("提前结束")
    assert "已结束" in reply.text
    reply = await workers[5].send(f"/start {token}")
    assert "已于" in reply.text
    assert "结束" in reply.text
    [survey] = await _rows(harness, Survey)
    assert survey.erased
    assert await _rows(harness, SurveyVoter) == []
    assert await _rows(harness, SurveyDraft) == []
    assert await _rows(harness, SurveyPending) == []
    assert not harness.telegram.errors()


async def test_a_comment_is_scrubbed_before_the_worker_confirms_and_can_be_rewritten(
    harness: Harness,
):
    _chat, token = await _published(harness)
    worker = harness.user(WORKER_BASE + 500, "李工")
    await worker.send(f"/start {token}")
    await worker.click("开始作答")
    await worker.click("▫️ 劳动报酬")
    await worker.click("选好了")
    await worker.send("5")
    await worker.click("一线职工")
    reply = await worker.send("有事打我电话 １３９ ００１３ ９０００")
    assert "１３９" not in reply.text
    assert "已用 ＊＊＊ 隐去" in reply.text
    assert "提交后不能修改" in reply.text
    reply = await worker.click("修改留言")
    assert "想对工会说" in reply.text
    reply = await worker.send("食堂太贵")
    assert "食堂太贵" in reply.text
    assert "隐去" not in reply.text
    assert "匿名保存" in (await worker.click("提交")).text
    assert [a["comment"] for a in await _answers(harness)] == ["食堂太贵"]


async def test_bad_input_and_stale_buttons(harness: Harness):
    _chat, token = await _published(harness)
    worker = harness.user(WORKER_BASE + 2000, "王工")

    assert "链接无效" in (await worker.send("/start sv_doesnotexist123")).text
    assert "链接无效" in (await worker.send(f"/start {token[:-3]}")).text

    await worker.send(f"/start {token}")
    await worker.click("开始作答")
    assert "至少选择一个议题" in (await worker.click("选好了")).text
    assert "请点上面的按钮" in (await worker.send("随便说点什么")).text
    await worker.click("▫️ 劳动报酬")
    await worker.click("▫️ 工作时间")
    await worker.click("选好了")
    await worker.click("劳动报酬")
    # A forged press ranking the same topic again is refused.
    [(_, data)] = [(label, d) for label, d in worker.buttons() if label == "工作时间"]
    assert "已经排过" in (await worker.press(data.rsplit(":", 1)[0] + ":0")).text
    await worker.click("工作时间")
    for bad in ("很多", "99", "-3", "5.55"):
        assert "0 到 30" in (await worker.send(bad)).text
    await worker.send("５％")
    await worker.click("不愿回答")
    await worker.click("跳过")
    reply = await worker.click("提交")
    assert "匿名保存" in reply.text
    assert await _answers(harness) == [{"rise": 50, "stratum": None, "comment": ""}]

    # Old buttons after the page is over: a clear word, nothing counted twice.
    reply = await worker.click("提交")
    assert "已经结束的页面" in reply.text
    assert len(await _answers(harness)) == 1

    # Workers reach nothing else: instructor buttons are refused.
    [survey] = await _rows(harness, Survey)
    reply = await worker.press(SurveyCB(survey_id=survey.id, action=SurveyAct.results).pack())
    assert "问卷结果" not in reply.text
    reply = await worker.press(CaseCB(case_id=survey.case_id).pack())
    assert "光谷电子" not in reply.text

    # Answers after the closing time are refused, mid-page too.
    other = harness.user(WORKER_BASE + 2001, "赵工")
    await other.send(f"/start {token}")
    await other.click("开始作答")
    harness.clock.advance(timedelta(days=8))
    reply = await other.click("▫️ 劳动报酬")
    assert "已于" in reply.text
    assert "不再接受" in reply.text
    assert len(await _answers(harness)) == 1
    assert not harness.telegram.errors()


async def test_two_surveys_at_once_and_liaison_view(harness: Harness):
    chat, token = await _published(harness)
    await chat.click("问卷列表")
    await _design(chat)
    reply = await chat.click("发布")
    second = re.search(r"start=(sv_[A-Za-z0-9_-]+)", reply.text)
    assert second
    assert second.group(1) != token

    worker = harness.user(WORKER_BASE + 3000, "孙工")
    await worker.send(f"/start {token}")
    await worker.click("开始作答")
    await worker.click("▫️ 劳动报酬")
    reply = await worker.send(f"/start {second.group(1)}")
    assert "未完成" in reply.text
    reply = await worker.click("继续刚才的操作")
    assert "继续" in reply.text
    # The same link again returns to the page where the worker was.
    reply = await worker.send(f"/start {token}")
    assert "✅ 劳动报酬" in [label for label, _ in worker.buttons()]
    await worker.send(f"/start {second.group(1)}")
    reply = await worker.click("打开这份问卷")
    assert "职工意见调查" in reply.text
    # A button from the first survey's page is stale now.
    reply = await worker.click("选好了")
    assert "已经结束的页面" in reply.text

    # The liaison above the case sees the surveys and results, and cannot close them.
    [org] = [o for o in await _org_rows(harness) if o.name == "洪山区总工会"]
    liaison = harness.user(1001, "王芳")
    await join(harness, liaison, org, Role.liaison)
    [survey, _] = sorted(await _rows(harness, Survey), key=lambda s: s.id)
    reply = await liaison.press(SurveyCB(survey_id=survey.id).pack())
    assert "职工意见调查" in reply.text
    labels = [label for label, _ in liaison.buttons()]
    assert "📊 结果" in labels
    assert "⏹ 提前结束" not in labels
    reply = await liaison.press(SurveyCB(survey_id=survey.id, action=SurveyAct.close).pack())
    assert "已结束" not in reply.text
    assert (await _rows(harness, Survey))[0].closed_at is None

    # A liaison of another union sees nothing.
    other_org = await make_org(harness, "江夏区总工会")
    stranger = harness.user(1002, "外区")
    await join(harness, stranger, other_org, Role.liaison)
    reply = await stranger.press(SurveyCB(survey_id=survey.id, action=SurveyAct.results).pack())
    assert "没有权限" in reply.text
    assert not harness.telegram.errors()


async def _org_rows(h: Harness):
    from storage.models import Org

    return await _rows(h, Org)


async def test_closing_time_erases_voters_and_reminds_the_author(harness: Harness):
    from bot import jobs
    from storage.models import Reminder

    chat, token = await _published(harness)
    planned = [r for r in await _rows(harness, Reminder) if r.kind == "survey"]
    assert sorted(r.payload["key"] for r in planned) == [
        "reminders.survey_closed",
        "reminders.survey_closing",
    ]
    await _answer(harness.user(WORKER_BASE + 4000, "周工"), token)
    harness.clock.advance(timedelta(days=6, hours=10))  # 20:00 in Wuhan
    await jobs.reminder_tick(harness.app)
    assert "将于" in chat.last_text
    assert "截止" in chat.last_text

    harness.clock.advance(timedelta(days=1))
    await jobs.housekeeping_tick(harness.app)
    [survey] = await _rows(harness, Survey)
    assert survey.erased
    assert await _rows(harness, SurveyVoter) == []
    # One answer, fewer than k: released at close (no earlier view to tell it from), and
    # still not shown, since results need k answers.
    assert len(await _rows(harness, SurveyResponse)) == 1
    await jobs.reminder_tick(harness.app)
    assert "已于" in chat.last_text
    assert "结果" in chat.last_text
