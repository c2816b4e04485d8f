"""Navigation on a phone: a pressed button's screen replaces the message it was on, so the chat
does not fill with stale menus; a refusal, a reply to typed text and a file come as new
messages below; a notification keeps its text when its buttons are pressed; a form left
halfway offers the way back to its case."""

from __future__ import annotations

from datetime import timedelta

from bot import jobs
from bot.callbacks import MoveCB
from bot.testing import ChatUser, Harness
from storage.models import BargainingCase
from tests.flows import (
    instructor,
    meeting_at_attendance,
    open_case,
    register_enterprise,
    table_rows,
)


def _ids(chat: ChatUser) -> list[int]:
    return [m["message_id"] for m in chat.bot_messages()]


async def test_menus_cards_lists_and_pages_turn_in_place(harness: Harness):
    chat = await instructor(harness)
    await register_enterprise(chat)
    await open_case(chat)
    await chat.send("/menu")  # typed: a new message
    menu = chat.last()["message_id"]
    before = _ids(chat)
    screens = ("我的案件", "光谷电子有限公司", "⋯ 更多", "👥 代表", "返回案件", "📄 文书")
    for label in (*screens, "返回案件", "🗳 职工问卷"):
        await chat.click(label)
    assert _ids(chat) == before  # every screen drawn over the menu
    assert chat.last()["message_id"] == menu
    assert not harness.telegram.errors()


async def test_a_refusal_comes_below_and_the_screen_stays(harness: Harness):
    chat = await instructor(harness)
    await register_enterprise(chat)
    await open_case(chat)
    card = chat.last()
    before = _ids(chat)
    [case] = await table_rows(harness, BargainingCase)
    # A stage the case cannot jump to: the refusal is a new message, the card is kept.
    reply = await chat.press(MoveCB(case_id=case.id, stage="signed", when="today").pack(), card)
    assert "不能直接转到" in reply.text
    assert _ids(chat)[: len(before)] == before
    assert len(_ids(chat)) == len(before) + 1
    assert "发出要约" in " ".join(label for label, _ in chat.buttons(chat.bot_messages()[-2]))


async def test_a_form_replaces_the_card_and_cancel_leads_back(harness: Harness):
    chat = await instructor(harness)
    await register_enterprise(chat)
    await open_case(chat)
    card = chat.last()["message_id"]
    reply = await chat.click("发出要约")
    assert chat.last()["message_id"] == card  # the question took the card's place
    assert reply.texts
    await chat.send("/cancel")
    assert "↩️ 返回案件" in [label for label, _ in chat.buttons()]
    reply = await chat.click("返回案件")
    assert "准备中" in reply.text


async def test_a_notification_keeps_its_text(harness: Harness):
    chat = await instructor(harness)
    await chat.send("/menu")
    await chat.click("我的提醒")
    await chat.click("新提醒")
    await chat.send("准备协商材料")
    await chat.click("1 小时后")
    await chat.click("提交")
    harness.clock.advance(timedelta(hours=1))
    await jobs.reminder_tick(harness.app)
    note = chat.last()
    assert "⏰ 提醒：准备协商材料" in chat.last_text
    reply = await chat.click("✅ 完成")
    assert "已完成" in reply.text
    kept = next(m for m in chat.bot_messages() if m["message_id"] == note["message_id"])
    assert "准备协商材料" in kept["text"]  # the reminder is still readable


async def test_ticking_attendance_edits_the_question_in_place(harness: Harness):
    """Covered in depth in tests/test_rounds.py; here only that no tap adds a message."""

    chat, _ = await meeting_at_attendance(harness, ("王工", "李工", "赵工"))
    before = _ids(chat)
    for name in ("王工", "李工", "赵工"):
        await chat.click(f"▫️ {name}")
    assert _ids(chat) == before
    assert "✅ 完成（已选 3）" in [label for label, _ in chat.buttons()]


async def test_leaving_a_document_form_leads_back_to_its_case(harness: Harness):
    chat = await instructor(harness)
    await register_enterprise(chat)
    await open_case(chat)
    await chat.click("📄 文书")
    await chat.click("要约书")
    await chat.send("/cancel")
    assert "↩️ 返回案件" in [label for label, _ in chat.buttons()]
