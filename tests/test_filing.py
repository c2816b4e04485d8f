"""After signing: the signed contract archived with the case, and the filing package's
completeness, each missing material named."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import col, select

from bot.callbacks import ArchiveCB, DocFileCB, MoveCB, PublishCB
from bot.services import reminders
from bot.settings import Settings
from bot.testing import ChatUser, Harness
from storage.models import BargainingCase, CaseDocument, Reminder, ReminderStatus, Stage
from storage.uow import UnitOfWork
from tests.conftest import make_settings
from tests.test_documents import _documents, _generate, _seeded


@pytest.fixture
def settings(any_db_url: str) -> Settings:
    return make_settings(any_db_url)


async def _stage(h: Harness, stage: Stage) -> None:
    async with UnitOfWork(h.app.db.sessions) as uow:
        case = (await uow.session.execute(select(BargainingCase))).scalars().first()
        assert case is not None
        case.stage = stage
        await uow.commit()


async def test_signed_contract_archived_and_the_filing_checklist(harness: Harness) -> None:
    chat = await _seeded(harness)
    await _documents(chat)
    assert "存档签字文本" not in " ".join(label for label, _ in chat.buttons())
    reply = await chat.press(ArchiveCB(case_id=1).pack())  # forged before signing
    assert "合同签订后才能存档签字文本" in reply.text
    await _case(chat)

    _, text = await _generate(harness, chat, "filing")
    assert "尚缺：" in text
    for item in ("集体合同文本（正式文本）", "双方签字盖章的合同文本（扫描件）"):
        assert item in text.split("尚缺：")[1].split("\n")[0]
    assert "企业营业执照、工会法人资格证书复印件 | 1 | 请企业自备" in text

    await _stage(harness, Stage.signed)
    await _case(chat)
    await _documents(chat)
    await chat.click("存档签字文本")
    reply = await chat.send_document("合同.docx", b"PK not a scan")
    assert "需要一个 PDF 文件或一张照片" in reply.text
    reply = await chat.send("文字")
    assert "需要一个 PDF 文件或一张照片" in reply.text
    reply = await chat.send_document("签字盖章版.PDF", b"%PDF-1.4 signed")
    assert "签字文本已存档（第 1 版）" in reply.text
    [scan] = [d for d in await _rows(harness) if d.kind == "signed"]
    assert scan.content == b"%PDF-1.4 signed"
    assert scan.file_name.startswith("签字文本-光谷电子有限公司-")
    assert scan.file_name.endswith(".pdf")

    await chat.press(DocFileCB(document_id=scan.id or 0).pack())
    sent = chat.last_file("document")
    assert sent.content == b"%PDF-1.4 signed"
    assert "PDF 版本" not in " ".join(label for label, _ in chat.buttons())  # it is one

    _, text = await _generate(harness, chat, "filing")
    assert "双方签字盖章的合同文本（扫描件） | 1 | 齐备" in text
    assert "尚缺：" in text
    assert "扫描件" not in text.split("尚缺：")[1].split("\n")[0]


async def _case(chat: ChatUser) -> None:
    await chat.send("/menu")
    await chat.click("我的案件")
    await chat.click("光谷电子有限公司")


async def _rows(h: Harness) -> list[CaseDocument]:
    async with UnitOfWork(h.app.db.sessions) as uow:
        return list((await uow.session.execute(select(CaseDocument))).scalars().all())


async def test_publication_to_all_staff_is_recorded(harness: Harness) -> None:
    chat = await _seeded(harness)
    reply = await chat.press(PublishCB(case_id=1).pack())  # forged: not in force yet
    assert "合同生效后才能记录公示" in reply.text
    async with UnitOfWork(harness.app.db.sessions) as uow:
        case = (await uow.session.execute(select(BargainingCase))).scalars().first()
        assert case is not None
        case.stage, case.term_years = Stage.in_force, 1
        case.signed_on = date(2026, 11, 1)
        case.filed_on = date(2026, 11, 5)
        await uow.commit()
    async with UnitOfWork(harness.app.db.sessions) as uow:
        await reminders.sync_case(uow, 1, harness.clock.now(), harness.app.settings)
        await uow.commit()
    assert await _publication_reminders(harness) == {ReminderStatus.pending}
    await _case(chat)
    assert "向全体职工公布期限：2026-12-01" in chat.last_text  # awaited
    await chat.click("记录公示")
    assert "将来" in (await chat.send("2026-12-31")).text
    assert "签订日" in (await chat.send("2026-10-01")).text
    await chat.send("今天")
    reply = await chat.click("厂务公开栏")
    assert "请核对公示记录" in reply.text
    reply = await chat.click("提交")
    assert "公示：2026-11-24（厂务公开栏）" in reply.text
    assert "向全体职工公布期限" not in reply.text  # no longer awaited
    assert "记录公示" not in " ".join(label for label, _ in chat.buttons())
    async with UnitOfWork(harness.app.db.sessions) as uow:
        case = (await uow.session.execute(select(BargainingCase))).scalars().first()
        assert case is not None
        assert case.published_on == date(2026, 11, 24)
        assert case.published_how == "厂务公开栏"
    assert await _publication_reminders(harness) == {ReminderStatus.cancelled}


async def _publication_reminders(h: Harness) -> set[ReminderStatus]:
    async with UnitOfWork(h.app.db.sessions) as uow:
        found = await uow.session.execute(
            select(Reminder).where(col(Reminder.idem_key).startswith("case:1:publication_due"))
        )
        return {r.status for r in found.scalars().all()}


async def test_an_objection_sends_the_contract_back_with_its_reasons(harness: Harness) -> None:
    chat = await _seeded(harness)
    async with UnitOfWork(harness.app.db.sessions) as uow:
        case = (await uow.session.execute(select(BargainingCase))).scalars().first()
        assert case is not None
        case.stage, case.term_years = Stage.filed, 1
        case.signed_on, case.filed_on = date(2026, 11, 10), date(2026, 11, 12)
        await uow.commit()
    # A quick "today" on the move still asks the reasons first.
    reply = await chat.press(MoveCB(case_id=1, stage="negotiating", when="today").pack())
    assert "哪天提出的审查意见" in reply.text
    await chat.click("今天")
    assert "2 到" in (await chat.send("无")).text
    await chat.send("第五条工资增幅低于当地工资指导线下线；\n第十二条加班工资基数不明确。")
    await chat.send("第五条、第十二条")
    reply = await chat.click("提交")
    assert "协商中" in reply.text
    async with UnitOfWork(harness.app.db.sessions) as uow:
        case = (await uow.session.execute(select(BargainingCase))).scalars().first()
        assert case is not None
        assert case.stage is Stage.negotiating
        [event] = [e for e in await uow.cases.events(1) if e.note]
        assert "第十二条加班工资基数不明确" in event.note
        assert event.note.endswith("涉及条款：第五条、第十二条")
    await chat.click("更多")
    reply = await chat.click("时间线")
    assert "审查意见：第五条工资增幅低于当地工资指导线下线" in reply.text
