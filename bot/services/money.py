"""Money as people type it: the one parser every form uses, in `Decimal` (never float).

'￥86.5元', '86.5 元', '¥1,200.50', '１２３', 'RMB 100', '1，200' are all amounts; the unit a
form asks in ('元', or '万元' for an enterprise's accounts) may follow. None when the text
is no amount within the bounds. Imports nothing from the domain (numbers.py is a leaf too).
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal, InvalidOperation

from bot.services.numbers import SCRIPT_DIGITS

_CURRENCY = re.compile(r"^(?:rmb|cny|人民币|[¥￥])\s*", re.IGNORECASE)
_AMOUNT = re.compile(r"-?\d{1,15}(?:\.\d{1,2})?")


def parse_money(
    text: str,
    low: Decimal,
    high: Decimal,
    unit: str = "元",
) -> Decimal | None:
    """An amount in `unit` between `low` and `high` (two decimals at most)."""
    if any(char in SCRIPT_DIGITS for char in text):  # ² is a digit to NFKC, not to a person
        return None
    value = unicodedata.normalize("NFKC", text).strip()
    value = _CURRENCY.sub("", value)
    for suffix in (unit, "元", "块", "块钱"):
        value = value.removesuffix(suffix).strip()
    value = re.sub(r"(?<=\d)[,，\s](?=\d{3}(?:\D|$))", "", value)
    if not _AMOUNT.fullmatch(value):
        return None
    try:
        amount = Decimal(value)
    except InvalidOperation:
        return None
    if not low <= amount <= high:
        return None
    return amount


def plain(value: Decimal | float | int) -> str:
    """An amount as people write it, without trailing zeros: 2210.00 → '2210', 6.50 → '6.5'."""
    return f"{Decimal(str(value)).normalize():f}"
