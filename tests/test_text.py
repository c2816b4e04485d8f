"""One cleaner for every text people type: invisible and direction-changing characters
never stored, text that shows nothing refused, through the chat as well."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.services import broadcasts, reminders, surveys, topics
from bot.services.errors import Problem
from bot.services.text import clean, clean_lines, has_content

HIDDEN_MARKS = "\u2066\u2067\u2068\u2069\u202e\u202a\u200b\u200e\u200f\u061c\ufeff\u00ad"


@pytest.mark.parametrize("mark", list(HIDDEN_MARKS))
def test_direction_and_zero_width_marks_are_dropped(mark: str):
    assert clean(f"交{mark}月报") == "交月报"


@pytest.mark.parametrize(
    "blank", ["\u2800", "\u3164", "\n\n.\n\n", "\u3000\u3000", "……", "🙂🙂", "\u115f", "  .  "]
)
def test_text_that_shows_nothing_is_refused_everywhere(blank: str):
    for parse in (
        reminders.parse_note,
        broadcasts.parse_text,
        surveys.parse_comment,
        topics.parse_position,
    ):
        with pytest.raises(Problem):
            parse(blank)


def test_lines_are_kept_and_tidied():
    assert clean_lines("\n\n第一行  \n\n\n\n第二\u202e行\n") == "第一行\n\n第二行"


@given(st.text(max_size=60))
def test_cleaned_text_holds_no_hidden_marks(text: str):
    for value in (clean(text), clean_lines(text)):
        assert not any(mark in value for mark in HIDDEN_MARKS)
        assert value == value.strip(" \n")


def test_content_needs_a_letter_or_digit():
    assert has_content("涨薪")
    assert has_content("5")
    assert not has_content("。。。!")


async def test_a_reminder_with_an_override_mark_is_stored_clean(harness):
    from sqlmodel import select

    from storage.models import Reminder
    from storage.uow import UnitOfWork
    from tests.flows import instructor

    chat = await instructor(harness)
    await chat.send("/remind 明天 9:00 交\u202e报月\u2066")
    async with UnitOfWork(harness.app.db.sessions) as uow:
        [found] = (await uow.session.execute(select(Reminder))).scalars().all()
    stored = str(found.payload)
    assert not any(mark in stored for mark in HIDDEN_MARKS)
    reply = await chat.send("/remind 明天 9:00 \u2800")
    assert "提醒内容请在 1 到" in reply.text
    async with UnitOfWork(harness.app.db.sessions) as uow:
        assert len((await uow.session.execute(select(Reminder))).scalars().all()) == 1
