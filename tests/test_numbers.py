"""One parser for whole numbers, typed or carried by a button: never a traceback, never a
value out of range (the ² that `str.isdigit()` lets through, 99999999999 overflowing)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.services.numbers import button_int, parse_int


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("5", 5),
        ("１２３", 123),
        (" 42 人", 42),
        ("1,200", 1200),
        ("1，200人", 1200),
        ("两", 2),
        ("两年", 2),
        ("十二", 12),
        ("一百二十", 120),
        ("一百零五", 105),
        ("三万五千", 35000),
        ("二〇二六", 2026),
        ("2026年", 2026),
        ("15号", 15),  # a pay day
        ("十五日", 15),
    ],
)
def test_what_people_type(typed: str, expected: int):
    assert parse_int(typed, 0, 100_000) == expected


@pytest.mark.parametrize("typed", ["²", "1²", "₃", "-3", "3.5", "", "很多", "99999999999999999999"])
def test_what_is_no_whole_number_in_range(typed: str):
    assert parse_int(typed, 0, 100_000) is None


@given(st.text(max_size=30))
def test_parse_int_is_total(text: str):
    found = parse_int(text, 0, 1000)
    assert found is None or 0 <= found <= 1000


@given(st.text(max_size=30))
def test_button_int_is_total(text: str):
    found = button_int(text, 1, 90)
    assert found is None or 1 <= found <= 90


def test_buttons_take_ascii_digits_only():
    assert button_int("7", 1, 90) == 7
    for forged in ("²", "１", "99999999999", "0", "91", "7 ", "+7"):
        assert button_int(forged, 1, 90) is None


async def test_forged_number_buttons_in_the_survey_flows(harness):
    from handlers.forms import FormAct, FormCB
    from tests.flows import instructor, open_case, register_enterprise

    chat = await instructor(harness)
    await register_enterprise(chat)
    await open_case(chat)
    await chat.click("🗳 职工问卷")
    await chat.click("新建问卷")
    await chat.click("完成")
    await chat.click("完成")
    await chat.click("发布后立即开始")
    forged_presses = [
        FormCB(form="sd", action=FormAct.pick, value=value).pack()
        for value in ("+²", "+99999999999", "+0", "+1²")
    ]
    forged_presses += [
        FormCB(form="sd", action=FormAct.tick, value="#²").pack(),
        FormCB(form="sd", action=FormAct.tick, value="#99").pack(),
        "sd:²",
    ]
    for forged in forged_presses:
        reply = await chat.press(forged)
        assert reply.answered_callback()
        assert not reply.errors, forged
        assert "出错" not in reply.text, forged
        assert "按钮已经过期" in reply.text, forged  # refused, not taken for a day
    await chat.click("7 天后")
    await chat.click("提交")
    created = [
        data
        for message in chat.bot_messages()
        for _, data in chat.buttons(message)
        if data.startswith("sv:")
    ]
    assert created  # the real choice still works after the forged ones
    worker = harness.user(7_345_600_777, "工人")
    await worker.send("/start")
    for forged in ("sa:1:rise:²", "sa:1:t:²", "sa:²:t:1", "sa:1:r:99999999999"):
        reply = await worker.press(forged)
        assert reply.answered_callback()
        assert not reply.errors, forged
        assert "出错" not in reply.text, forged


@pytest.mark.parametrize(
    ("typed", "yuan"),
    [
        ("￥86.5元", "86.5"),
        ("86.5 元", "86.5"),
        ("１２３", "123"),
        ("¥1,200.50", "1200.50"),
        ("RMB 100", "100"),
        ("1，200 元", "1200"),
    ],
)
def test_money_as_people_type_it(typed: str, yuan: str):
    from decimal import Decimal

    from bot.services.money import parse_money

    assert parse_money(typed, Decimal(0), Decimal(100_000)) == Decimal(yuan)


@pytest.mark.parametrize("typed", ["86.555", "很多", "1e5", "NaN", "-5", "²", "", "1.2.3"])
def test_no_money(typed: str):
    from decimal import Decimal

    from bot.services.money import parse_money

    assert parse_money(typed, Decimal(0), Decimal(100_000)) is None


def test_expense_amounts_in_fen_through_the_money_parser():
    from bot.services import expenses

    assert expenses.parse_amount("￥86.5元") == 8650
    assert expenses.parse_amount("１２８") == 12800
