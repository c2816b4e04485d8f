"""Dates people type: ISO, with slashes or dots, or in Chinese."""

from __future__ import annotations

import re
import unicodedata
from datetime import date

from bot.services.errors import Problem


def parse_date(value: str) -> str:
    """'2026-12-01', '2026/12/1', '2026年12月1日' → '2026-12-01'."""
    text = unicodedata.normalize("NFKC", value).strip().replace("/", "-").replace(".", "-")
    text = re.sub(r"(\d+)年(\d+)月(\d+)日?", r"\1-\2-\3", text)
    try:
        year, month, day = (int(part) for part in text.split("-"))
        return date(year, month, day).isoformat()
    except ValueError:
        raise Problem("documents.bad_date") from None
