"""Major-problem reports (重大问题报告): filed by an instructor, delivered at once to the
liaisons of their union, escalated one union up when nobody acknowledges them in time."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.services import access, orgs
from bot.services.errors import AccessDenied, Problem
from bot.services.text import text_value
from bot.settings import Settings
from storage.models import Org, ProblemReport, ReportMessage, ReportStatus, User
from storage.uow import UnitOfWork

CATEGORIES = ("stoppage", "refusal", "data", "retaliation", "safety", "other")
TEXT_MIN, TEXT_MAX = 5, 2000


def parse_text(text: str) -> str:
    # Keep the reporter's line breaks; tidy each line.
    return text_value(text, TEXT_MIN, TEXT_MAX, "reports.bad_text", lines=True)


@dataclass(frozen=True)
class Filed:
    report: ProblemReport
    reporter: User
    org: Org  # whose liaisons were told (the reporter's union, or the nearest above)
    recipients: list[User]
    reported_in: Org  # the reporter's own union


async def file(
    uow: UnitOfWork, user: User, form: dict[str, Any], now: datetime, case_id: int | None = None
) -> Filed:
    access.instructor(user)
    if form["category"] not in CATEGORIES:
        raise Problem("common.expired_button")
    if case_id is not None:
        case = await uow.cases.get(case_id)
        if case is None or case.owner_id != user.id:
            raise AccessDenied()
    report = await uow.reports.add(
        ProblemReport(
            reporter_id=user.id or 0,
            org_id=user.org_id,
            case_id=case_id,
            category=form["category"],
            urgent=form["urgency"] == "urgent",
            text=parse_text(str(form["text"])),
            photo_file_id=str(form.get("photo") or "") or None,
            status=ReportStatus.open,
            created_at=now,
        )
    )
    reported_in = await orgs.org_of(uow, user)
    org, recipients = await orgs.nearest_liaisons(uow, reported_in)
    return Filed(report, user, org, recipients, reported_in)


@dataclass(frozen=True)
class Acknowledged:
    report: ProblemReport
    reporter: User
    newly: bool
    union: Org  # the acknowledging liaison's union, named to the reporter


async def _seen_by_liaison(uow: UnitOfWork, liaison: User, report: ProblemReport) -> Org:
    """The liaison's union, when the report was filed in it or below it (liaisons above the
    reporter's union see it through the subtree rule; escalation reaches exactly those)."""
    access.liaison(liaison)
    root = await orgs.org_of(uow, liaison)
    reported_in = await uow.orgs.get(report.org_id)
    if reported_in is None or not orgs.within(root, reported_in):
        raise AccessDenied()
    return root


async def _report(uow: UnitOfWork, report_id: int) -> ProblemReport:
    report = await uow.reports.get(report_id)
    if report is None:
        raise AccessDenied()
    return report


async def acknowledge(
    uow: UnitOfWork, liaison: User, report_id: int, now: datetime
) -> Acknowledged:
    report = await _report(uow, report_id)
    root = await _seen_by_liaison(uow, liaison, report)
    reporter = await uow.users.get(report.reporter_id)
    assert reporter is not None
    if report.status is ReportStatus.acknowledged:
        return Acknowledged(report, reporter, newly=False, union=root)
    report.status = ReportStatus.acknowledged
    report.acknowledged_by_id = liaison.id
    report.acknowledged_at = now
    return Acknowledged(report, reporter, newly=True, union=root)


@dataclass(frozen=True)
class Escalation:
    report: ProblemReport
    reporter: User
    reported_in: Org
    to: Org
    recipients: list[User]


async def escalate_due(uow: UnitOfWork, now: datetime, settings: Settings) -> list[Escalation]:
    """Claim the reports nobody acknowledged in time and find who one union up gets them."""
    limit = now - timedelta(minutes=settings.report_escalation_minutes)
    result = []
    for report in await uow.reports.claim_for_escalation(limit, now):
        reported_in = await uow.orgs.get(report.org_id)
        reporter = await uow.users.get(report.reporter_id)
        assert reported_in is not None
        assert reporter is not None
        first, _ = await orgs.nearest_liaisons(uow, reported_in)
        parent = await uow.orgs.get(first.parent_id) if first.parent_id else None
        if parent is None:
            continue  # nobody above: the report stays with its own union
        to, recipients = await orgs.nearest_liaisons(uow, parent)
        report.escalated_to_org_id = to.id
        result.append(Escalation(report, reporter, reported_in, to, recipients))
    return result


async def mine(uow: UnitOfWork, user: User) -> Sequence[ProblemReport]:
    return await uow.reports.by_reporter(user.id or 0)


# ----- the thread: the liaison's instructions, the instructor's answers -----
def parse_message(text: str) -> str:
    return text_value(text, 1, TEXT_MAX, "reports.bad_message", lines=True)


async def _visible(uow: UnitOfWork, user: User, report_id: int) -> ProblemReport:
    """The report, for its reporter or a liaison of their union or a union above it."""
    report = await _report(uow, report_id)
    if user.id != report.reporter_id:
        await _seen_by_liaison(uow, user, report)
    return report


@dataclass(frozen=True)
class Thread:
    report: ProblemReport
    reporter: User
    messages: list[tuple[ReportMessage, User]]  # oldest first, with their authors


async def thread(uow: UnitOfWork, user: User, report_id: int) -> Thread:
    report = await _visible(uow, user, report_id)
    reporter = await uow.users.get(report.reporter_id)
    assert reporter is not None
    return Thread(report, reporter, list(await uow.reports.thread(report_id)))


@dataclass(frozen=True)
class Said:
    report: ProblemReport
    message: ReportMessage
    tell: list[User]  # who is told of it: the other side


async def say(uow: UnitOfWork, user: User, report_id: int, text: str, now: datetime) -> Said:
    """A message in the report's thread. A liaison's instruction also acknowledges the
    report; the reporter's answer goes to the liaison who acknowledged it, or to the
    liaisons it was sent to."""
    report = await _visible(uow, user, report_id)
    message = await uow.reports.say(
        ReportMessage(report_id=report_id, author_id=user.id or 0, text=parse_message(text), at=now)
    )
    if user.id != report.reporter_id:
        if report.status is ReportStatus.open:
            report.status = ReportStatus.acknowledged
            report.acknowledged_by_id, report.acknowledged_at = user.id, now
        reporter = await uow.users.get(report.reporter_id)
        return Said(report, message, [reporter] if reporter else [])
    if report.acknowledged_by_id:
        liaison = await uow.users.get(report.acknowledged_by_id)
        return Said(report, message, [liaison] if liaison else [])
    reported_in = await uow.orgs.get(report.org_id)
    assert reported_in is not None
    _, liaisons = await orgs.nearest_liaisons(uow, reported_in)
    return Said(report, message, list(liaisons))
