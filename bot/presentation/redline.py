"""Word redlines: this contract against the last one, as real tracked changes (`w:ins` and
`w:del`) that Word, WPS and LibreOffice show and let a reader accept or reject one by one.

The comparison is python-redlines' Docxodus engine (a bundled .NET program run as a
subprocess: no Word, no network); it runs off the event loop in the render pool. The
articles of both files are read back here for the table of changes that goes in chat."""

from __future__ import annotations

import io
import re
import threading
import zipfile
from datetime import datetime
from typing import Any

ARTICLE = re.compile(r"^\s*(第[一二三四五六七八九十百千零〇两\d]+条)[\s\u3000]*(.*)$")
END_OF_TEXT = ("（以下无正文）", "(以下无正文)", "附件", "甲方（盖章）")
CHAPTER = re.compile(r"^\s*第[一二三四五六七八九十百千零〇两\d]+章")
_engine: Any = None
_lock = threading.Lock()


def _redline_engine() -> Any:
    """One engine per process (finding the binary unpacks it once, about half a second)."""
    global _engine
    with _lock:
        if _engine is None:
            from python_redlines.engines import DocxodusEngine

            _engine = DocxodusEngine()
        return _engine


def is_docx(content: bytes) -> bool:
    """A Word 2007+ file (a zip holding word/document.xml), not a .doc or a renamed file."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            return "word/document.xml" in archive.namelist()
    except zipfile.BadZipFile:
        return False


def compare(before: bytes, after: bytes, author: str, at: datetime) -> bytes:
    """`after` with every difference from `before` as a tracked change by `author`."""
    engine = _redline_engine()
    content, _, _ = engine.run_redline(
        author, before, after, date_time=at.strftime("%Y-%m-%dT%H:%M:%SZ")
    )
    from docx import Document

    Document(io.BytesIO(content))  # a file Word could not open is never sent
    return bytes(content)


def articles_of(content: bytes) -> list[tuple[str, str]]:
    """The articles of a contract as (第X条, text): an article runs from its number to the
    next article or chapter heading (items on lines of their own belong to it)."""
    from docx import Document

    found: list[tuple[str, str]] = []
    for paragraph in Document(io.BytesIO(content)).paragraphs:
        text = paragraph.text.strip()
        if not text:
            continue
        head = ARTICLE.match(text)
        if text.startswith(END_OF_TEXT):
            found.append(("", ""))  # the signatures and annexes are no article's text
        elif head:
            found.append((head.group(1), head.group(2).strip()))
        elif CHAPTER.match(text):
            found.append(("", ""))  # closes the article before it
        elif found and found[-1][0]:
            label, body = found[-1]
            found[-1] = (label, f"{body}\n{text}")
    return [(label, body) for label, body in found if label]
