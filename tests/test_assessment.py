"""The annual assessment: indicators counted from the demo records, evaluation scores
entered by the liaison, the weighted ranking, the export and the one-page summary; an
instructor sees only their own result."""

from __future__ import annotations

import io

import pytest
from docx import Document
from openpyxl import load_workbook

from bot.callbacks import AssessAct, AssessCB
from bot.services import assessment, demo
from bot.services.errors import Problem
from bot.testing import Harness
from storage.repositories import Person
from storage.uow import UnitOfWork
from tests.conftest import make_settings


def _person(uid: int, name: str) -> Person:
    return Person(uid, name, 1)


def test_ranking_is_weighted_and_relative_to_the_best():
    settings = make_settings(
        "sqlite+aiosqlite:///x.db",
        assessment_weights={"sessions": 1.0, "response": 1.0},
        assessment_records_share=0.5,
        assessment_self_share=0.3,
    )
    a = assessment.Result(_person(1, "甲"), {"sessions": 4}, 2.0, 80, 90)
    b = assessment.Result(_person(2, "乙"), {"sessions": 2}, 8.0, None, None)
    ranked = assessment.rank([b, a], settings)
    assert [r.user.display_name for r in ranked] == ["甲", "乙"]
    assert a.scores["sessions"] == 100
    assert b.scores["sessions"] == 50
    assert a.scores["response"] == 100
    assert b.scores["response"] == 25  # four times slower
    assert a.records == 100
    assert b.records == pytest.approx(37.5)
    assert a.evaluation == pytest.approx(0.3 * 80 + 0.7 * 90)
    assert a.total == pytest.approx(0.5 * 100 + 0.5 * 87)
    assert b.total == pytest.approx(0.5 * 37.5)
    for bad in ("120 5", "85", "八十 九十", "-1 50"):
        with pytest.raises(Problem):
            assessment.parse_scores(bad)
    assert assessment.parse_scores("85，90.5") == (85, 90.5)


async def test_liaison_ranks_enters_exports_and_summarises(harness: Harness):
    async with UnitOfWork(harness.app.db.sessions) as uow:
        await demo.seed(uow, harness.clock.now(), harness.app.settings)
        await uow.commit()
    liaison = harness.user(1001, "王芳")
    await liaison.send("/menu")
    reply = await liaison.click("年度考核")
    assert "1. 李明" in reply.text
    assert "评议未录入" in reply.text

    # A forged button for someone outside the subtree (the liaison themself) is refused at
    # the press, before any score is asked for.
    reply = await liaison.press(AssessCB(action=AssessAct.score, user_id=1).pack())
    assert "没有权限" in reply.text
    assert "0 到 100" not in reply.text

    await liaison.click("📝 Zhang Hua")
    assert "0 到 100" in (await liaison.send("120 90")).text
    reply = await liaison.send("85 90")
    assert "述职 85，民主评议 90" in reply.text
    await liaison.click("考核")
    assert "1. Zhang Hua" in liaison.last_text  # evaluation now counts

    exported = await liaison.click("导出考核结果")
    said = [str(c.params.get("text")) for c in exported.calls if "Message" in c.method]
    assert "正在生成考核结果" in said[0]
    assert "✅ 考核结果已生成" in said[1]
    book = load_workbook(io.BytesIO(liaison.last_file("document").content))
    rows = list(book["考核结果"].iter_rows(values_only=True))
    assert rows[0][:3] == ("序号", "姓名", "所属工会")
    assert [r[1] for r in rows[1:]] == ["Zhang Hua", "李明"]
    assert rows[2][3] == 1  # 李明's one logged meeting
    assert len(book["考核结果"]._charts) == 1
    assert list(book["按工会统计"].iter_rows(values_only=True))[1][:2] == ("洪山区总工会", 2)

    await liaison.click("📄 李明")
    sent = liaison.last_file("document")
    text = "\n".join(p.text for p in Document(io.BytesIO(sent.content)).paragraphs)
    assert "李明" in text
    assert "在 2 名指导员中排第 2 名" in text

    instructor = harness.user(1101, "李明")
    await instructor.send("/menu")
    reply = await instructor.click("我的考核")
    assert "参加协商：1" in reply.text
    assert "排第 2 名" in reply.text
    assert "Zhang Hua" not in reply.text
    reply = await instructor.press(AssessCB(action=AssessAct.export).pack())
    assert not any(m.get("document") for m in instructor.bot_messages())
