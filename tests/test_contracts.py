"""Contracts a union signs as they are: the clause library, clause text in the tracker, the
contract assembled with numbered articles (draft and final), the redline against the last
contract, union overrides and their check, and the parties on the offer and the filing."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from docx import Document
from hypothesis import given
from hypothesis import strategies as st
from sqlmodel import select

from bot.callbacks import ClauseAct, ClauseCB, EditCB, RedlineCB
from bot.presentation import redline
from bot.presentation.document_views import plain_text
from bot.services import clauses, contracts
from bot.services.numbers import chinese_numeral, parse_int
from bot.services.topics import Side, Source
from bot.settings import LegalSettings, Settings
from bot.testing import ChatUser, Harness
from storage.models import CaseTopic, CaseType, Enterprise, TopicEvent, TopicStatus
from storage.uow import UnitOfWork
from tests.conftest import make_settings
from tests.flows import instructor, open_case, register_enterprise
from tests.test_documents import _field

ARTICLE = re.compile(r"^第([一二三四五六七八九十百零]+)条　")
CHAPTER = re.compile(r"^第([一二三四五六七八九十]+)章　(.+?)(【待协商】)?$")
PAY = (
    "上年度甲方职工月平均工资为6000元。\n"
    "{year}年度，甲方职工月平均工资增长{rise}%，一线职工增长不低于8%。"
)


@pytest.fixture
def settings(any_db_url: str) -> Settings:
    return make_settings(any_db_url)


# ----- the library -----
def test_shipped_library_is_clean_and_complete() -> None:
    assert clauses.check(None) == []
    library = clauses.library()
    # Art. 8's fifteen topics, Art. 9's six pay items, the two other special contracts.
    assert set(library.negotiable("contract")) >= {
        "pay", "hours", "rest", "safety", "insurance", "women_minors", "training", "contracts",
        "rewards", "layoffs", "term", "procedure", "disputes", "liability", "other",
    }  # fmt: skip
    assert len(library.negotiable("wage")) == 6
    for kind in clauses.KINDS:
        spec = library.kinds[kind]
        assert spec.chapters[0] == "general"
        assert spec.chapters[-1] == "supplementary"
        for key in ("term", "procedure", "disputes", "liability"):
            assert key in spec.required, (kind, key)
    # Every variable and condition the clauses may use is given by the records.
    enterprise = Enterprise(
        name="甲", credit_code="x", industry="x", headcount=100, women=30, has_union=True,
        address="x", contact="x", org_id=1, created_at=datetime.now(UTC),
    )  # fmt: skip
    given_values = contracts.values(
        kind="wage", year=2026, enterprise=enterprise, union_party="甲工会", answers={},
        legal=LegalSettings(), local_min_wage=2210, effective_on=None,
    )  # fmt: skip
    assert set(library.variables) | set(library.conditions) == set(given_values)


@given(st.integers(min_value=1, max_value=9999))
def test_chinese_numerals_read_back(number: int) -> None:
    assert parse_int(chinese_numeral(number), 1, 9999) == number


def test_article_numbers_typed_by_people_are_dropped() -> None:
    assert clauses.split_articles("第三条 甲方\n\n2、乙方\n（一）丙\n四、丁\n1. 戊") == [
        "甲方", "乙方", "丙", "丁", "戊",
    ]  # fmt: skip


def test_changed_articles_align_by_text() -> None:
    before = [("第一条", "甲"), ("第二条", "乙"), ("第三条", "丙"), ("第四条", "丁")]
    after = [("第一条", "甲"), ("第二条", "新"), ("第三条", "乙改"), ("第四条", "丙")]
    rows = [(r.label, r.change) for r in contracts.changed_articles(before, after)]
    # 丙 is found again further down: the article before it is new, 丁 was taken out.
    assert rows == [("第二条", "修改"), ("第三条", "新增"), ("原第四条", "删除")]
    shifted = [("第一条", "甲"), ("第二条", "插入"), ("第三条", "乙"), ("第四条", "丙改")]
    rows = [(r.label, r.change) for r in contracts.changed_articles(before[:3], shifted)]
    assert rows == [("第二条", "新增"), ("第四条", "修改（原第三条）")]


# ----- through the chat -----
async def _topic(chat: ChatUser, title: str) -> None:
    """Open (adding it first if needed) a topic of the case from the topics table."""
    labels = [label for label, _ in chat.buttons()]
    if not any(title in label for label in labels):
        await chat.click("添加议题")
        await chat.click(title)
    await chat.click(title)


async def _wage_case(h: Harness) -> ChatUser:
    chat = await instructor(h)
    await register_enterprise(chat)
    await open_case(chat)
    await chat.click("📋 议题")
    return chat


ANSWERS = {
    "legal_rep": "王总",
    "economic_type": "有限责任公司",
    "union_name": "光谷电子有限公司工会",
    "how_chosen": "职工代表大会民主选举",
    "last_year_avg": "6000",
    "rise_pct": "7",
    "frontline_rise_pct": "8",
    "enterprise_min_wage": "2400",
    "pay_day": "每月15号",  # as people say it
    "overtime_base": "职工本人上月基本工资",
    "term_years": "1",
    "health_check": "每年一次妇科和乳腺检查",
    "special_items": "女职工节放假半天",
    "maternity_extra_days": "30",
}
CHOICES = {
    "edition": {"draft": "草案", "final": "正式文本"},
    "shift_work": "是",
    "piece_rate": "否",
}


async def _answer_interview(h: Harness, chat: ChatUser, edition: str) -> None:
    """The contract's questions, as far as the records do not know them."""
    for _ in range(20):
        field = (await _field(h, chat)).removeprefix("doc_")
        if field == "review":
            return
        choice = CHOICES.get(field)
        if isinstance(choice, dict):
            await chat.click(choice[edition])
        elif isinstance(choice, str):
            await chat.click(choice)
        else:
            await chat.send(ANSWERS[field])
    raise AssertionError(chat.last_text)


async def _draft(
    h: Harness,
    chat: ChatUser,
    edition: str,
    kind: str = "工资专项合同",
    case: str = "光谷电子有限公司",
) -> tuple[str, str]:
    """From the menu: the case, its documents, a contract of `kind`, the questions, 提交."""
    await chat.send("/menu")
    await chat.click("我的案件")
    await chat.click(case)
    await chat.click("📄 文书")
    await chat.click(kind)
    await _answer_interview(h, chat, edition)
    reply = await chat.click("提交")
    return reply.text, chat.last_text


async def _make_wage(h: Harness, chat: ChatUser, edition: str) -> tuple[str, str]:
    return await _draft(h, chat, edition)


def _structure(content: bytes) -> tuple[list[tuple[int, str, bool]], list[int], str]:
    """Chapters (number, title, open), article numbers in order, and the whole text."""
    document = Document(io.BytesIO(content))
    chapters, articles = [], []
    for paragraph in document.paragraphs:
        text = paragraph.text.strip()
        if found := CHAPTER.match(text):
            chapters.append(
                (parse_int(found.group(1), 1, 99) or 0, found.group(2), bool(found.group(3)))
            )
        if found := ARTICLE.match(text):
            articles.append(parse_int(found.group(1), 1, 999) or 0)
    return chapters, articles, plain_text(content)


async def _rows(h: Harness, model: Any) -> list[Any]:
    async with UnitOfWork(h.app.db.sessions) as uow:
        return list((await uow.session.execute(select(model))).scalars().all())


async def test_wage_case_from_model_clauses_to_the_final_contract(harness: Harness) -> None:
    chat = await _wage_case(harness)
    # 劳动报酬 starts from the model clause, values from the records where known.
    await _topic(chat, "劳动报酬")
    reply = await chat.click("示范条款")
    assert "平均增幅和最低工资" in reply.text
    reply = await chat.click("平均增幅和最低工资")
    assert "以岗位工资为主" in reply.text
    assert "【待填：职工平均工资增长幅度】" in reply.text
    await chat.click("我方文本")
    await chat.send(PAY.format(year=2026, rise=8))
    await chat.click("对方文本")
    reply = await chat.send(PAY.format(year=2026, rise=5))
    assert "对方还价" in reply.text  # their text is a counter
    reply = await chat.click("已达成一致")
    assert "按我方文本一致" in [label for label, _ in chat.buttons()]
    await chat.click("输入一致文本")
    reply = await chat.send(PAY.format(year=2026, rise=7))
    assert "🟢" in reply.text
    assert "一致文本" in reply.text
    assert "我方文本" not in [label for label, _ in chat.buttons()]  # frozen
    # The history shows what changed (struck through / underlined), not both texts again.
    kinds = {entity["type"] for entity in chat.last().get("entities", [])}
    assert {"strikethrough", "underline"} <= kinds, kinds

    await chat.click("议题列表")
    await _topic(chat, "工资支付办法")
    await chat.click("示范条款")
    await chat.click("按月足额支付")
    await chat.click("已达成一致")
    reply = await chat.click("按我方文本一致")
    assert "每月【待填：工资支付日】日前" in reply.text  # agreed with a value still to fill

    await chat.click("议题列表")
    await _topic(chat, "工资调整办法")  # still open

    # A draft marks exactly the open topic; the final text refuses, naming it.
    await _make_wage(harness, chat, "draft")
    draft = chat.last_file("document")
    chapters, numbers, text = _structure(draft.content)
    assert [title for _, title, is_open in chapters if is_open] == ["工资调整办法"]
    assert "附件：尚未达成一致的议题" in text
    assert "【待填：工资支付日】" not in text  # the interview gave the pay day
    reply_text, _ = await _make_wage(harness, chat, "final")
    assert "以下议题尚未达成一致：工资调整办法" in reply_text

    # Agreed: the final contract, every chapter in place, numbered 第一条…第N条.
    await chat.click("文书列表")
    await chat.click("返回案件")
    await chat.click("📋 议题")
    await chat.click("工资调整办法")
    await chat.click("示范条款")
    await chat.click("每年协商")
    await chat.click("已达成一致")
    await chat.click("按我方文本一致")
    await _make_wage(harness, chat, "final")
    final = chat.last_file("document")
    assert "草案" not in final.name
    chapters, numbers, text = _structure(final.content)
    library = clauses.library()
    spec = library.kinds["wage"]
    assert [title for _, title, _ in chapters] == [
        library.sections["wage"][key].title for key in spec.chapters
    ]
    assert [n for n, _, _ in chapters] == list(range(1, len(chapters) + 1))
    assert numbers == list(range(1, len(numbers) + 1))
    model_count = sum(len(library.articles("wage", key, {"x": 1})) for key in spec.chapters)
    assert len(numbers) >= model_count - 2  # the agreed 劳动报酬 is two articles, not four
    assert "【待" not in text
    assert "（草案）" not in text
    assert "增长7%" in text
    assert "6000元" in text
    assert "每月15日前" in text
    assert "期满前60日内" in text  # the wage rules' renewal window
    assert "本合同自劳动行政部门审查通过之日起生效" in text
    assert "附件" not in text
    [pay] = [t for t in await _rows(harness, CaseTopic) if t.key == "pay"]
    assert pay.status is TopicStatus.agreed
    assert pay.agreed_by_id is not None
    assert pay.agreed_text == PAY.format(year=2026, rise=7)
    events = [e for e in await _rows(harness, TopicEvent) if e.topic_id == pay.id]
    assert events[-1].agreed_text == pay.agreed_text
    assert not harness.telegram.errors()

    # Against the last contract uploaded as Word: tracked changes in exactly that article.
    await chat.send("/menu")
    await chat.click("我的案件")
    await chat.click("光谷电子有限公司")
    await chat.click("📋 议题")
    await chat.click("劳动报酬")
    await chat.click("对方还价")  # reopened: the agreement is lifted
    [pay] = [t for t in await _rows(harness, CaseTopic) if t.key == "pay"]
    assert pay.agreed_text == ""
    assert pay.status is TopicStatus.countered
    await chat.click("已达成一致")
    await chat.click("输入一致文本")
    await chat.send(PAY.format(year=2026, rise=6))
    await _make_wage(harness, chat, "final")
    second = chat.last_file("document")
    reply = await chat.click("与上期合同对照")
    assert "上传上期合同" in reply.text  # no earlier case of this enterprise in the bot
    reply = await chat.send_document("现行合同.docx", final.content)
    marked = chat.last_file("document")
    assert marked.name.startswith("对照-")
    changed = _tracked_articles(marked.content)
    [row] = [line for line in chat.last_text.splitlines() if line.startswith("• ")]
    label = row.removeprefix("• ").split("：")[0]
    assert changed == {label}, (changed, chat.last_text)
    assert "修改" in row
    assert _structure(second.content)[1] == numbers


def _tracked_articles(content: bytes) -> set[str]:
    """The articles whose paragraphs hold a w:ins or a w:del."""
    xml = zipfile.ZipFile(io.BytesIO(content)).read("word/document.xml").decode()
    found = set()
    for paragraph in re.findall(r"<w:p[ >].*?</w:p>", xml, flags=re.S):
        if "<w:ins " not in paragraph and "<w:del " not in paragraph:
            continue
        text = "".join(re.findall(r"<w:(?:t|delText)[^>]*>([^<]*)<", paragraph))
        label = re.match(r"第[一二三四五六七八九十百零]+条", text)
        found.add(label.group(0) if label else text[:20])
    return found


async def test_a_special_contract_holds_only_its_subject(harness: Harness) -> None:
    """A women's contract drafted on a wage case: its own chapters, none of the case's wage
    topics; the case's topics go in its own contract only."""
    chat = await _wage_case(harness)
    await _topic(chat, "劳动报酬")
    await chat.click("我方文本")
    await chat.send("工资增长 8%")
    await _draft(harness, chat, "draft", "女职工专项合同")
    chapters, _, text = _structure(chat.last_file("document").content)
    assert "工资增长 8%" not in text
    assert "劳动报酬" not in text
    assert "预防和制止性骚扰" in [title for _, title, _ in chapters]
    assert "甲方现有职工1200人，其中女职工300人" in text  # the general provisions


async def test_forged_clause_buttons(harness: Harness) -> None:
    chat = await _wage_case(harness)
    await _topic(chat, "劳动报酬")
    [topic] = await _rows(harness, CaseTopic)
    topic_id = topic.id or 0
    stranger = await instructor(harness, 1102, "江岸区总工会")
    for data in (
        ClauseCB(topic_id=topic_id, act=ClauseAct.agreed, source=Source.ours),
        ClauseCB(topic_id=topic_id, act=ClauseAct.model, value="standard"),
        ClauseCB(topic_id=topic_id, act=ClauseAct.agree),
        EditCB(topic_id=topic_id, side=Side.ours),
        RedlineCB(document_id=1),
    ):
        assert "没有权限" in (await stranger.press(data.pack())).text
    nonsense = ClauseCB(topic_id=topic_id, act=ClauseAct.model, value="nonsense")
    assert "按钮已经过期" in (await chat.press(nonsense.pack())).text
    no_source = ClauseCB(topic_id=topic_id, act=ClauseAct.agreed)
    assert "按钮已经过期" in (await chat.press(no_source.pack())).text
    empty = ClauseCB(topic_id=topic_id, act=ClauseAct.agreed, source=Source.ours)
    assert "还没有文本" in (await chat.press(empty.pack())).text  # nothing to agree on
    assert "按钮已经过期" in (await chat.press("tc:1:zz::")).text  # no such action
    [topic] = await _rows(harness, CaseTopic)
    assert topic.status is TopicStatus.proposed
    assert topic.our_demand == ""
    assert not harness.telegram.errors()


# ----- a union's own clauses -----
OVERRIDE = """
[sections.pay_special]
title = "特殊情况下的工资支付"
[[sections.pay_special.variants]]
key = "local"
label = "本市规定"
articles = [
  "停工停产期间，甲方按照本市规定支付生活费，且不低于{{ local_min_wage }}元的百分之八十。"]
"""


async def test_a_union_override_replaces_a_clause(tmp_path: Path, sqlite_url: str) -> None:
    (tmp_path / "wage.toml").write_text(OVERRIDE, encoding="utf-8")
    harness = await Harness.start(make_settings(sqlite_url, clauses_dir=tmp_path))
    try:
        chat = await _wage_case(harness)
        await _make_wage(harness, chat, "draft")
        text = plain_text(chat.last_file("document").content)
        assert "按照本市规定支付生活费" in text
        assert "视同其提供了正常劳动支付工资" not in text  # the shipped section is gone
    finally:
        await harness.close()


def test_clauses_check_reports_a_broken_override(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from bot.cli import cli

    runner = CliRunner()
    result = runner.invoke(cli, ["clauses", "check"], env={"BOT_TOKEN": ""})
    assert result.exit_code == 0, result.output
    assert "ok" in result.output
    (tmp_path / "wage.toml").write_text(
        OVERRIDE.replace("local_min_wage", "local_min_wag").replace(
            '"]\n', '", { text = "夜班", when = ["night_shift"] }]\n'
        ),
        encoding="utf-8",
    )
    (tmp_path / "women.toml").write_text("chapters = [", encoding="utf-8")
    result = runner.invoke(cli, ["clauses", "check", str(tmp_path)], env={"BOT_TOKEN": ""})
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.startswith("error")]
    assert any("unknown variable 'local_min_wag'" in line for line in lines)
    assert any("unknown condition 'night_shift'" in line for line in lines)
    assert any("women.toml: not valid TOML" in line for line in lines)
    assert len(lines) == 3


async def test_a_broken_override_is_said_in_chat(tmp_path: Path, sqlite_url: str) -> None:
    (tmp_path / "wage.toml").write_text("chapters = [", encoding="utf-8")
    harness = await Harness.start(make_settings(sqlite_url, clauses_dir=tmp_path))
    try:
        chat = await _wage_case(harness)
        reply = await chat.click("添加议题")
        assert "xieshang clauses check" in reply.text
        assert not harness.telegram.errors()
    finally:
        await harness.close()


# ----- parties and dates -----
def test_the_effective_date_follows_the_review() -> None:
    legal = LegalSettings()
    from datetime import date

    assert contracts.effective_clause(date(2026, 12, 15), legal) == "本合同自2026年12月15日起生效。"
    assert "15日内未提出异议" in contracts.effective_clause(None, legal)


def test_the_enterprise_union_issues_the_offer() -> None:
    from bot.presentation.document_views import _issuer

    own = _issuer("光谷电子", True, "洪山区总工会")
    assert own["issuer"] == "光谷电子工会"
    assert own["seal"] == "光谷电子工会（盖章）"
    none = _issuer("楚天餐饮", False, "洪山区总工会")
    assert none["seal"] == "洪山区总工会（代章）"
    assert "尚未建立工会" in none["issuer_note"]


def test_redline_reads_articles_of_an_uploaded_contract() -> None:
    document = Document()
    for text in ("某某公司集体合同", "第一章　总则", "第一条　甲方", "（一）细项", "第二章　附则",
                 "第二条　乙方", "（以下无正文）", "甲方（盖章）："):  # fmt: skip
        document.add_paragraph(text)
    out = io.BytesIO()
    document.save(out)
    assert redline.articles_of(out.getvalue()) == [
        ("第一条", "甲方\n（一）细项"),
        ("第二条", "乙方"),
    ]
    assert redline.is_docx(out.getvalue())
    assert not redline.is_docx(b"%PDF-1.4")


async def test_redline_against_the_enterprise_s_last_contract(harness: Harness) -> None:
    """The same enterprise's contract on an earlier case is found without an upload."""
    chat = await _wage_case(harness)
    await _make_wage(harness, chat, "draft")
    first = chat.last_file("document")
    async with UnitOfWork(harness.app.db.sessions) as uow:
        from storage.models import BargainingCase

        [case] = (await uow.session.execute(select(BargainingCase))).scalars().all()
        case.year = 2025  # last year's case
        await uow.commit()
    await open_case(chat)  # this year's
    await chat.click("📋 议题")
    await _topic(chat, "劳动报酬")
    await chat.click("我方文本")
    await chat.send("工资增长 9%")
    await _draft(harness, chat, "draft", case="光谷电子有限公司 · 2026")
    reply = await chat.click("与上期合同对照")
    assert "2025年度" in reply.text
    marked = chat.last_file("document")
    assert marked.content != first.content
    assert _tracked_articles(marked.content)


def test_case_kinds() -> None:
    assert contracts.kind_of_case(CaseType.wage) == "wage"
    assert contracts.kind_of_case(CaseType.industry) == "contract"
