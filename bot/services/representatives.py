"""The bargaining representatives of a case and the rules their line-up must meet."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.services import cases
from bot.services.bargaining import Representative, representative_problems
from bot.services.errors import Problem
from bot.services.profiles import parse_name as parse_name
from bot.services.text import text_value
from bot.settings import LegalSettings
from storage.models import CaseRepresentative, Side, User
from storage.uow import UnitOfWork

POST_MAX = 50


def parse_post(text: str) -> str:
    return text_value(text, 1, POST_MAX, "representatives.bad_post")


@dataclass(frozen=True)
class LineUp:
    case_id: int
    editable: bool
    members: list[CaseRepresentative]
    problems: list[tuple[str, dict[str, Any]]]


async def line_up(uow: UnitOfWork, user: User, case_id: int, legal: LegalSettings) -> LineUp:
    _, editable = await cases.load(uow, user, case_id)
    members = list(await uow.representatives.of_case(case_id))
    enterprises = await uow.cases.enterprises_of(case_id)
    headcount = sum(e.headcount for e in enterprises)
    women = sum(e.women for e in enterprises)
    reps = [Representative(m.name, m.side, m.chief, m.expert, m.woman) for m in members]
    return LineUp(
        case_id, editable, members, representative_problems(reps, headcount, women, legal)
    )


async def add(
    uow: UnitOfWork,
    user: User,
    case_id: int,
    form: dict[str, Any],
    now: datetime,
    legal: LegalSettings,
) -> CaseRepresentative:
    """Add a representative. The line-up rules are reported, not enforced here: a line-up is
    built one person at a time and is incomplete until the last one is added."""
    await cases.editable(uow, user, case_id)
    side = Side(form["side"])
    existing = await uow.representatives.of_case(case_id)
    if sum(m.side is side for m in existing) >= legal.max_reps_per_side:
        raise Problem("cases.too_many_reps", side=side, max=legal.max_reps_per_side)
    name = parse_name(str(form["name"]))
    if any(m.side is side and m.name == name for m in existing):
        raise Problem("representatives.duplicate", name=name)
    return await uow.representatives.add(
        CaseRepresentative(
            case_id=case_id,
            side=side,
            name=name,
            post=parse_post(str(form["post"])) if form.get("post") else "",
            chief=form["chief"] == "yes",
            expert=form["expert"] == "yes",
            woman=form["woman"] == "yes",
            created_at=now,
        )
    )


async def removable(uow: UnitOfWork, user: User, representative_id: int) -> CaseRepresentative:
    """A representative the user may take off the line-up (asked to confirm first)."""
    member = await uow.representatives.get(representative_id)
    if member is None:
        raise Problem("common.expired_button")
    await cases.editable(uow, user, member.case_id)
    return member


async def remove(uow: UnitOfWork, user: User, representative_id: int) -> int:
    member = await removable(uow, user, representative_id)
    await uow.representatives.remove(member)
    return member.case_id
