"""A page of a list read in SQL: which rows, which page of how many, and how many rows in
all. The page asked for is kept within the list (a forged or stale page number shows the
first or the last page, never an error or an empty screen past the end)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Paged(Generic[T]):
    rows: list[T]
    page: int  # from 1
    pages: int
    total: int


def page_count(total: int, per_page: int) -> int:
    return max(1, -(-total // per_page))


async def read_page(
    fetch: Callable[[int, int], Awaitable[tuple[Sequence[T], int]]], page: int, per_page: int
) -> Paged[T]:
    """`fetch(offset, limit)` gives a page's rows and the total; a page past the end is
    read again as the last page (one more query, only then)."""
    page = max(page, 1)
    rows, total = await fetch((page - 1) * per_page, per_page)
    pages = page_count(total, per_page)
    if page > pages:
        page = pages
        rows, total = await fetch((page - 1) * per_page, per_page)
    return Paged(list(rows), page, pages, total)
