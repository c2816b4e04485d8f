"""Drafting documents through the chat: every one of the ten types generated from the demo
case, opened with python-docx and its key fields checked; versions, re-sending, the text
preview, bad input, a case without topics, a broken union template, and PDF copies."""

from __future__ import annotations

import io
import stat
from pathlib import Path

import pytest
from docx import Document
from sqlmodel import select

from bot.callbacks import DocFileCB
from bot.presentation.document_views import plain_text
from bot.services import demo, documents
from bot.settings import Settings
from bot.testing import ChatUser, Harness
from bot.testing.client import ButtonNotFound
from storage.models import CaseDocument
from storage.uow import UnitOfWork
from tests.conftest import make_settings

HTML = "甲 & 乙 <b>丙</b> 🧧"
VALUES = {
    "text": HTML,
    "long": f"第一行 {HTML}\n第二行",
    "date": "2026-12-05",
    "datetime": "2026-12-10 9:30",
    "int": "3",
    "day": "15",
    "years": "2",
    "percent": "6.5",
    "money": "4800",
}
SPECIAL = {"round_no": "1", "term_years": "2", "rise_pct": "5", "frontline_rise_pct": "6"}
# The button a choice question is answered with: the first choice (a draft, not final).
CHOICE = {"accept": "同意协商", "draft": "草案", "yes": "是"}
KEY_TEXT = {
    "offer": ["集体协商要约书", "劳动报酬：", "20 日内", "光谷电子有限公司工会（盖章）"],
    "reply": ["要约回应书", "我方同意进行集体协商"],
    "plan": ["协商方案", "共收回有效答卷 11 份", "劳动报酬 | "],
    "minutes": ["第 1 次协商会议", "光谷电子三楼会议室", "张记录", "工资增长幅度"],
    "contract": ["集体合同（草案）", "光谷电子有限公司", "第二章　劳动报酬【待协商】", "第一条"],
    "wage": ["工资专项集体合同（草案）", "150%", "每月15日前", "期满前60日内", "【待协商】"],
    "women": ["女职工权益保护专项集体合同", "同工同酬"],
    "safety": ["劳动安全卫生专项集体合同", "劳动防护用品"],
    "supervision": ["履约监督检查报告", "访谈职工 3 人"],
    "resolution": [
        "职工代表大会决议",
        "应到职工代表 60 人，实到 52 人",
        "赞成 47 票",
        "大会决议：通过",
    ],
    "filing": ["报送材料清单", "职工代表大会", "协商会议记录"],
}


@pytest.fixture
def settings(any_db_url: str) -> Settings:
    return make_settings(any_db_url)


async def _seeded(h: Harness) -> ChatUser:
    async with UnitOfWork(h.app.db.sessions) as uow:
        await demo.seed(uow, h.clock.now(), h.app.settings)
        await uow.commit()
    chat = h.user(1101, "李明")
    await chat.send("/menu")
    await chat.click("我的案件")
    await chat.click("光谷电子有限公司")
    return chat


async def _put_in_force(h: Harness) -> None:
    from storage.models import BargainingCase, Stage

    async with UnitOfWork(h.app.db.sessions) as uow:
        case = await uow.session.get(BargainingCase, 1)
        assert case is not None
        case.stage = Stage.in_force
        await uow.commit()


async def _record_vote(h: Harness) -> None:
    from storage.models import BargainingCase

    async with UnitOfWork(h.app.db.sessions) as uow:
        case = await uow.session.get(BargainingCase, 1)
        assert case is not None
        case.congress_total, case.congress_present, case.congress_yes = 60, 52, 47
        case.congress_passed = True
        await uow.commit()


async def _field(h: Harness, chat: ChatUser) -> str:
    from aiogram.fsm.storage.base import StorageKey

    from bot.testing.client import TEST_TOKEN

    key = StorageKey(bot_id=int(TEST_TOKEN.split(":")[0]), chat_id=chat.id, user_id=chat.id)
    state = await h.app.dispatcher.storage.get_state(key) or ""
    return state.rpartition(":")[2]


async def _fill(h: Harness, chat: ChatUser, kind: str) -> None:
    """Answer each question the interview asks, with awkward but valid text."""
    asks = {ask.name: ask for ask in documents.ASKS[kind]}
    for _ in range(30):
        field = (await _field(h, chat)).removeprefix("doc_")
        if field == "review":
            return
        ask = asks[field]
        if ask.kind == "choice":
            await chat.click(CHOICE[ask.choices[0]])
        else:
            await chat.send(SPECIAL.get(field, VALUES[ask.kind]))
    raise AssertionError("the interview did not reach its review")


async def _documents(chat: ChatUser) -> None:
    """The case's documents: from its card, or from the last file sent (the card was
    replaced by the screens that followed it)."""
    try:
        await chat.click("📄 文书")
    except ButtonNotFound:
        await chat.click("文书列表")


async def _generate(h: Harness, chat: ChatUser, kind: str) -> tuple[str, str]:
    label = {"offer": "要约书", "reply": "要约回应书", "plan": "协商方案", "minutes": "会议纪要",
             "contract": "集体合同草案", "wage": "工资专项合同", "women": "女职工专项合同",
             "safety": "安全卫生专项合同", "supervision": "履约监督检查报告",
             "resolution": "职代会决议", "filing": "报送材料清单"}[kind]  # fmt: skip
    await _documents(chat)
    await chat.click(label)
    await _fill(h, chat, kind)
    reply = await chat.click("提交")
    assert not reply.errors, reply.errors
    sent = chat.last_file("document")
    assert sent.name.endswith(".docx"), sent.name
    return sent.name, plain_text(sent.content)


async def test_every_document(harness: Harness):
    chat = await _seeded(harness)
    for kind, expected in KEY_TEXT.items():
        if kind == "resolution":  # offered only once the congress vote is recorded
            await chat.click("文书列表")
            assert "职代会决议" not in " ".join(label for label, _ in chat.buttons())
            await _record_vote(harness)
        if kind == "supervision":  # offered only once the contract is in force
            await chat.click("文书列表")
            assert "履约监督检查报告" not in " ".join(label for label, _ in chat.buttons())
            await _put_in_force(harness)
            await chat.click("返回案件")
        name, text = await _generate(harness, chat, kind)
        for fragment in expected:
            assert fragment in text, (kind, fragment, text[:600])
        if kind not in ("minutes", "filing", "plan", "contract"):
            assert HTML in text, kind  # special characters arrive as text, not as markup
        Document(io.BytesIO(chat.last_file("document").content))  # opens in Word's library
        assert "光谷电子有限公司" in name
        assert name.endswith("-v1.docx")
    records = await _rows(harness)
    assert sorted(r.kind for r in records) == sorted(documents.KINDS)
    assert all(r.data for r in records)
    assert not harness.telegram.errors()


async def _rows(h: Harness) -> list[CaseDocument]:
    async with UnitOfWork(h.app.db.sessions) as uow:
        return list((await uow.session.execute(select(CaseDocument))).scalars().all())


async def test_versions_preview_and_resend(harness: Harness):
    chat = await _seeded(harness)
    await _generate(harness, chat, "offer")
    await _documents(chat)
    reply = await chat.click("要约书")
    assert "项已从记录中填好" in reply.text
    await _fill(harness, chat, "offer")
    reply = await chat.click("文字预览")
    assert "集体协商要约书" in reply.text
    assert "甲 & 乙 <b>丙</b>" in reply.text
    assert "请核对" in chat.last_text  # back on the review
    await chat.click("✏️ 请对方提供的资料")
    await chat.send("上年度工资总额\n人工成本")
    reply = await chat.click("提交")
    second = chat.last_file("document")
    assert second.name.endswith("-v2.docx")
    assert "上年度工资总额\n人工成本" in plain_text(second.content)

    reply = await chat.click("文书列表")
    labels = [label for label, _ in chat.buttons()]
    assert any("要约书 v1" in label for label in labels)
    assert any("要约书 v2" in label for label in labels)
    await chat.click("要约书 v1")
    again = chat.last_file("document")
    assert again.name.endswith("-v1.docx")
    assert "上年度工资总额" not in plain_text(again.content)
    assert "PDF" not in " ".join(label for label, _ in chat.buttons())  # no LibreOffice here

    # Neither a stranger nor a colleague the case is not shared with can fetch the file.
    [first] = [r for r in await _rows(harness) if r.version == 1]
    for other, refusal in (
        (harness.user(5555, "外人"), "只对受邀人员开放"),  # a stranger: how to join
        (harness.user(1102, "Zhang Hua", "en"), "not allowed"),  # a colleague: not shared
    ):
        await other.send("/start")
        reply = await other.press(DocFileCB(document_id=first.id).pack())
        assert refusal in reply.text, reply.text
        assert not any(m.get("document") for m in other.bot_messages())


async def test_bad_input_and_rules(harness: Harness):
    chat = await _seeded(harness)
    await _documents(chat)
    await chat.click("工资专项合同")
    await chat.click("草案")
    assert "1 到 200" in (await chat.send("字" * 300)).text
    for _ in range(4):  # the party fields
        await chat.send("测试")
    await chat.click("否")  # shifts
    await chat.click("否")  # piece rates
    # Last year's average wage comes from the enterprise's accounts (6,500 in the demo).
    assert "百分数" in (await chat.send("120")).text
    await chat.send("6")
    await chat.send("5")  # front-line below the average
    assert "金额" in (await chat.send("很多钱")).text
    await chat.send("2400")
    assert "1 到 31" in (await chat.send("32")).text
    await chat.send("10")
    await chat.send("本人上月应发工资")
    reply = await chat.click("提交")
    assert "一线职工的工资增幅不应低于平均增幅" in reply.text
    assert "请核对" in chat.last_text
    await chat.click("✏️ 一线职工增幅")
    await chat.send("7")
    await chat.click("提交")
    assert chat.last_file("document").name.startswith("工资专项集体合同")

    # Minutes of a meeting that was not held.
    await _documents(chat)
    await chat.click("会议纪要")
    await _fill(harness, chat, "minutes")
    await chat.click("✏️ 第几次会议")
    await chat.send("7")
    reply = await chat.click("提交")
    assert "已登记的会议：第 1 次" in reply.text


async def test_case_without_topics_and_rounds(harness: Harness):
    chat = await _seeded(harness)
    await chat.send("/menu")
    await chat.click("查找企业")
    await chat.send("楚天")
    await chat.click("楚天餐饮管理有限公司")
    await chat.click("新建案件")
    await chat.click("综合集体合同")
    await chat.click("2026")
    await _documents(chat)
    reply = await chat.click("会议纪要")
    assert "还没有登记协商会议" in reply.text
    await _documents(chat)
    await chat.click("要约书")
    for _ in range(7):
        field = (await _field(harness, chat)).removeprefix("doc_")
        if field == "proposals":
            await chat.click("跳过")
            break
        ask = {a.name: a for a in documents.ASKS["offer"]}[field]
        await chat.send(VALUES[ask.kind])
    reply = await chat.click("提交")
    assert "案件还没有议题" in reply.text
    await chat.click("✏️ 其他议题建议")
    await chat.send("劳动报酬\n工作时间")
    await chat.click("提交")
    assert "劳动报酬" in plain_text(chat.last_file("document").content)


def _broken_template(folder: Path) -> None:
    document = Document()
    document.add_paragraph("{{ a.addressee }} {{ enterprise.nmae }} {{ unknown_thing }}")
    document.save(str(folder / "offer.docx"))


async def test_broken_union_template_never_sends_a_file(tmp_path: Path, sqlite_url: str):
    _broken_template(tmp_path)
    harness = await Harness.start(make_settings(sqlite_url, documents_dir=tmp_path))
    try:
        chat = await _seeded(harness)
        await _documents(chat)
        await chat.click("要约书")
        await _fill(harness, chat, "offer")
        reply = await chat.click("提交")
        assert "模板" in reply.text
        assert "templates check" in reply.text
        assert not any(m.get("document") for m in chat.bot_messages())
        assert not harness.telegram.errors()
    finally:
        await harness.close()


def test_templates_check_command(tmp_path: Path):
    from click.testing import CliRunner

    from bot.cli import cli

    runner = CliRunner()
    out = tmp_path / "samples"
    result = runner.invoke(cli, ["templates", "check", "--out", str(out)], env={"BOT_TOKEN": ""})
    assert result.exit_code == 0, result.output
    assert "all 14 templates render" in result.output
    sample = Document(str(out / "wage-sample.docx"))
    assert any("光谷电子有限公司" in p.text for p in sample.paragraphs)

    _broken_template(tmp_path)
    result = runner.invoke(
        cli, ["templates", "check", str(tmp_path / "offer.docx"), "--out", str(out)]
    )
    assert result.exit_code == 1
    assert "unknown variables: unknown_thing" in result.output


async def test_pdf_copy_through_libreoffice(tmp_path: Path, sqlite_url: str):
    office = tmp_path / "soffice"
    office.write_text(
        "#!/bin/sh\n"
        'for last in "$@"; do :; done\n'
        'while [ "$#" -gt 0 ]; do [ "$1" = "--outdir" ] && out="$2"; shift; done\n'
        'printf "%%PDF-1.4 converted" > "$out/document.pdf"\n'
    )
    office.chmod(office.stat().st_mode | stat.S_IEXEC)
    harness = await Harness.start(make_settings(sqlite_url, libreoffice=str(office)))
    try:
        chat = await _seeded(harness)
        await _generate(harness, chat, "offer")
        await chat.click("PDF 版本")
        pdf = chat.last_file("document")
        assert pdf.name.endswith("-v1.pdf")
        assert pdf.content.startswith(b"%PDF")
    finally:
        await harness.close()


async def _interview(h: Harness, chat: ChatUser, kind: str, special: dict[str, str]) -> str:
    asks = {ask.name: ask for ask in documents.ASKS[kind]}
    for _ in range(30):
        field = (await _field(h, chat)).removeprefix("doc_")
        if field == "review":
            break
        if asks[field].kind == "choice":
            await chat.click(CHOICE[asks[field].choices[0]])
            continue
        await chat.send(special.get(field, SPECIAL.get(field, VALUES[asks[field].kind])))
    return (await chat.click("提交")).text


async def test_document_answers_that_cannot_be_are_refused(harness: Harness):
    from tests.flows import instructor, open_case, register_enterprise

    chat = await instructor(harness)
    await register_enterprise(chat)
    await open_case(chat)
    # The offer: the data must come at least 5 days before the first meeting.
    await _documents(chat)
    await chat.click("要约书")
    text = await _interview(
        harness, chat, "offer", {"data_due": "2026-12-08", "first_meeting": "2026-12-10 9:30"}
    )
    assert "不晚于首次协商前 5 日" in text
    assert "2026-12-05" in text

    # A wage contract: a monthly minimum wage of 7 yuan is a slip, whatever the local rules.
    await chat.send("/cancel")
    other = await _seeded(harness)
    await _documents(other)
    await other.click("工资专项合同")
    text = await _interview(harness, other, "wage", {"enterprise_min_wage": "7"})
    assert "不像是一个月工资" in text


async def test_the_legal_representative_is_asked_once_per_enterprise(harness: Harness):
    chat = await _seeded(harness)
    await _generate(harness, chat, "contract")  # asks for the legal representative
    await _documents(chat)
    await chat.click("工资专项合同")
    asked = []
    for _ in range(30):
        field = (await _field(harness, chat)).removeprefix("doc_")
        if field == "review":
            break
        asked.append(field)
        ask = {a.name: a for a in documents.ASKS["wage"]}[field]
        if ask.kind == "choice":
            await chat.click(CHOICE[ask.choices[0]])
            continue
        await chat.send(SPECIAL.get(field, VALUES[ask.kind]))
    assert "legal_rep" not in asked
    assert "economic_type" not in asked
    reply = await chat.click("提交")
    assert not reply.errors


async def test_minutes_name_who_attended_when_ticked(harness: Harness):
    """Minutes of a meeting whose attendance was ticked name those present, not everyone
    registered."""
    from storage.models import NegotiationRound

    chat = await _seeded(harness)
    async with UnitOfWork(harness.app.db.sessions) as uow:
        [held] = (await uow.session.execute(select(NegotiationRound))).scalars().all()
        held.attendees = {"workers": ["到会甲"], "employer": []}
        await uow.commit()
    _, text = await _generate(harness, chat, "minutes")
    assert "到会甲" in text
