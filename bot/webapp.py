"""The Mini App: the survey as one page inside Telegram (issue 22).

A worker taps 📱 on the survey's invitation (or opens a `startapp` link): Telegram opens
`PUBLIC_URL/app/survey` with signed `initData`. The page asks for the survey (`open`) and
sends the whole answer at once (`submit`); every request carries the `initData` it was
given, checked here against the bot's token and its age — there is no other login, no
cookie, so nothing to forge across sites. The answer goes through the chat survey's rules
and the same anonymity (bot/services/survey_answers.py `whole` and `record`): a keyed hash
of the Telegram id apart from a sealed answer, released in batches of k. One page costs the
bot no Telegram message at all, where the chat survey sends about ten.

Served beside the webhook in webhook mode, on WEBAPP_HOST:WEBAPP_PORT when polling (and in
the playground), with no access log: a request line names the survey, never the person.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError
from aiogram.types import BufferedInputFile
from aiogram.utils.web_app import WebAppInitData, safe_parse_webapp_init_data
from aiohttp import web

from bot.flow import Priority, lane
from bot.presentation import charts, enum_labels, exports, liaison_views, survey_views
from bot.presentation.progress import ChatProgress
from bot.presentation.ui import Ui
from bot.services import (
    assessment,
    assignments,
    broadcasts,
    cases,
    orgs,
    roster,
    survey_answers,
    survey_results,
    surveys,
)
from bot.services.errors import AccessDenied, Problem
from storage.models import CaseType, RecipientStatus, Stage, User
from storage.uow import UnitOfWork

if TYPE_CHECKING:
    from bot.app import App

log = logging.getLogger(__name__)
PAGE = Path(__file__).resolve().parents[1] / "templates" / "webapp" / "survey.html"
BODY_MAX = 16 * 1024  # a whole answer is well under this
CLOCK_SKEW = timedelta(seconds=60)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


BOARD = PAGE.with_name("board.html")
BOARD_PAGE = 20  # cases a dashboard page shows
BOARD_TEXTS = (
    "title", "all", "union", "stage", "type", "year", "order", "recent", "by_year",
    "by_stage", "enterprise", "instructor", "next", "total", "prev", "more", "empty", "stage_col",
    "export", "cases_tab", "roster_tab", "search", "warned", "short", "age", "assess_tab",
    "score_total", "score_records", "score_evaluation", "by_name", "surveys_tab", "answers",
    "tasks_tab", "notices_tab", "overdue_only", "tasks_total", "due", "no_tasks", "no_notices",
    "undelivered", "all_reached", "notices_total", "overdue", "back",
)  # fmt: skip
PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'unsafe-inline' 'self'; img-src 'self' data:; "
        "style-src 'unsafe-inline' 'self'; frame-ancestors *"
    ),
}


EXPORT_COLUMNS = (
    "enterprise",
    "union_col",
    "instructor",
    "type_col",
    "year_col",
    "stage_col",
    "next",
)


def _next(app: App, locale: str, upcoming: list[tuple[str, Any]]) -> str:
    """The next deadline still awaited, as the list shows it."""
    if not upcoming:
        return ""
    key, day = upcoming[0]
    return f"{app.renderer.label(locale, f'cases.deadline_{key}')} {day}"


ID_MAX = 2**31 - 1  # ids, pages and years are 32-bit in the database; beyond is no such row


def _whole(value: Any) -> int | None:
    """A whole number from the page's JSON (a number, or its digits as text), in 0..ID_MAX."""
    if value in (None, ""):
        return None
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise ValueError("not a whole number")
    number = int(value)
    if not 0 <= number <= ID_MAX:
        raise ValueError("out of range")
    return number


def _number(body: dict[str, Any], key: str, default: int = 0) -> int:
    """A whole number the page sent (a page, an id); anything else is a bad request."""
    try:
        value = _whole(body.get(key))
    except (ValueError, TypeError):
        raise web.HTTPBadRequest(text=f"bad {key}") from None
    return default if value is None else value


class Unauthorised(Exception):
    pass


def refusing(handler: Handler) -> Handler:
    """A page's endpoint with the services' refusals as HTTP: AccessDenied (another union,
    not a liaison, not the case's) is 403, wherever in the endpoint it is raised."""

    async def wrapped(request: web.Request) -> web.StreamResponse:
        try:
            return await handler(request)
        except AccessDenied:
            raise web.HTTPForbidden(text="not yours to see") from None

    return wrapped


SESSION_SALT = b"xieshang-board-session"


@dataclass(frozen=True)
class Caller:
    """Who a dashboard request comes from: the Telegram id and language its session names."""

    id: int
    language: str


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def issue_session(key: bytes, caller: Caller, expires: datetime) -> str:
    """A dashboard session: who and until when, signed with a key only the bot derives
    (from its token). Kept in the page's memory, never in a cookie: no other site's request
    can carry it."""
    claims = {"u": caller.id, "l": caller.language, "e": int(expires.timestamp())}
    body = _b64(json.dumps(claims, separators=(",", ":")).encode())
    return body + "." + _b64(hmac.new(key, body.encode(), hashlib.sha256).digest())


def check_session(key: bytes, session: str, now: datetime) -> Caller:
    body, _, mac = session.partition(".")
    try:
        expected = _b64(hmac.new(key, body.encode("ascii"), hashlib.sha256).digest())
        if not hmac.compare_digest(expected, mac):
            raise Unauthorised("bad session")
        claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
        if int(claims["e"]) < now.timestamp():
            raise Unauthorised("expired session")
        return Caller(int(claims["u"]), str(claims["l"]))
    except (UnicodeError, ValueError, KeyError, TypeError):
        raise Unauthorised("bad session") from None


def signed_at(data: WebAppInitData) -> datetime:
    """When Telegram signed the initData, as an aware moment."""
    return data.auth_date if data.auth_date.tzinfo else data.auth_date.replace(tzinfo=UTC)


def check_init_data(token: str, raw: str, now: datetime, max_age: int) -> WebAppInitData:
    """The signed initData Telegram gave the page: its signature against the bot's token,
    not older than `max_age` seconds (nor from the future), with a user."""
    try:
        data = safe_parse_webapp_init_data(token, raw)
    except ValueError:
        raise Unauthorised("bad signature") from None
    signed = signed_at(data)
    if now - signed > timedelta(seconds=max_age) or signed - now > CLOCK_SKEW:
        raise Unauthorised("expired")
    if data.user is None:
        raise Unauthorised("no user")
    return data


def survey_texts(app: App, locale: str) -> dict[str, str]:
    """The page's words, rendered from templates/messages/<locale>/webapp.j2."""
    names = (
        "title", "intro", "q_topics", "q_rank", "q_rise", "q_stratum", "q_comment", "skip",
        "submit", "sending", "thanks", "already", "privacy", "pick_one", "rank_all", "closed",
        "unauthorised", "error", "prefer_not", "rise_unit",
    )  # fmt: skip
    return {name: app.renderer.text(locale, f"webapp.{name}") for name in names}


def _survey_view(app: App, survey: Any, locale: str) -> dict[str, Any]:
    label = app.renderer.label
    return {
        "token": survey.token,
        "questions": list(survey.questions),
        "topics": [
            {
                "i": i,
                "title": t["title"]
                if t["key"] == "custom"
                else label(locale, f"labels.topic_{t['key']}"),
            }
            for i, t in enumerate(survey.topics)
        ],
        "rise_max": survey.rise_max,
        "strata": [
            {"value": s, "label": label(locale, f"labels.stratum_{s}")} for s in surveys.STRATA
        ],
        "closes": app.renderer.format_datetime(survey.closes_at),
        "comment_max": surveys.COMMENT_MAX,
    }


def routes(app: App) -> list[web.RouteDef]:
    settings = app.settings
    token = app.bot.token
    session_key = hmac.new(SESSION_SALT, token.encode(), hashlib.sha256).digest()

    async def json_of(request: web.Request) -> dict[str, Any]:
        if request.content_length is not None and request.content_length > BODY_MAX:
            raise web.HTTPRequestEntityTooLarge(
                max_size=BODY_MAX, actual_size=request.content_length
            )
        try:
            body = json.loads(await request.text())
        except ValueError:
            raise web.HTTPBadRequest(text="not JSON") from None
        if not isinstance(body, dict):
            raise web.HTTPBadRequest(text="not an object")
        return body

    def unauthorised(key: str = "webapp.unauthorised") -> web.HTTPUnauthorized:
        text = app.renderer.text(app.renderer.locale(None), key)
        return web.HTTPUnauthorized(
            text=json.dumps({"error": text}, ensure_ascii=False), content_type="application/json"
        )

    async def body_of(
        request: web.Request, refusal: str = "webapp.unauthorised"
    ) -> tuple[dict[str, Any], WebAppInitData, str]:
        """The body of a request that carries Telegram's signed initData (the survey page,
        the dashboard's sign-in); `refusal` says where to open the page from again."""
        body = await json_of(request)
        try:
            data = check_init_data(
                token, str(body.get("init_data") or ""), app.clock.now(), settings.webapp_max_age
            )
        except Unauthorised:
            raise unauthorised(refusal) from None
        assert data.user is not None
        locale = app.renderer.locale(data.user.language_code or settings.default_locale)
        return body, data, locale

    async def caller_of(request: web.Request) -> tuple[dict[str, Any], Caller, str]:
        """The body of a dashboard request and who sends it: its session, which the page got
        for the initData Telegram gave it (`sign_in`), signed here and not yet expired."""
        body = await json_of(request)
        try:
            caller = check_session(session_key, str(body.get("session") or ""), app.clock.now())
        except Unauthorised:
            raise unauthorised("webapp.board_expired") from None
        return body, caller, app.renderer.locale(caller.language or settings.default_locale)

    async def sign_in(request: web.Request) -> web.Response:
        """The dashboard's start: the initData Telegram gave the page, checked and used once
        (the same initData again is a replay, 401), for a session that lasts
        WEBAPP_SESSION_MINUTES; only members get one."""
        _, data, _ = await body_of(request, "webapp.board_unauthorised")
        assert data.user is not None
        now = app.clock.now()
        signed = signed_at(data)
        async with UnitOfWork(app.db.sessions) as uow:
            member = await uow.users.by_telegram_id(data.user.id)
            if member is None or not member.active:
                raise web.HTTPForbidden(text="members only")
            digest = hashlib.sha256(data.hash.encode()).hexdigest()
            expiry = signed + timedelta(seconds=settings.webapp_max_age) + CLOCK_SKEW
            if not await uow.sign_ins.claim(digest, expiry):
                raise unauthorised("webapp.board_replayed")
            await uow.commit()
        minutes = settings.webapp_session_minutes
        caller = Caller(data.user.id, data.user.language_code or "")
        session = issue_session(session_key, caller, now + timedelta(minutes=minutes))
        return web.json_response({"session": session, "minutes": minutes})

    def refused(problem: Problem, locale: str, status: int = 400) -> web.Response:
        text = app.renderer.text(locale, problem.key, **problem.params)
        return web.json_response({"error": text, "key": problem.key}, status=status)

    async def page(_request: web.Request) -> web.FileResponse:
        return web.FileResponse(PAGE, headers=PAGE_HEADERS)

    async def open_(request: web.Request) -> web.Response:
        body, data, locale = await body_of(request)
        assert data.user is not None
        link = str(body.get("token") or data.start_param or "")
        keys = app.survey_keys
        async with UnitOfWork(app.db.sessions) as uow:
            try:
                survey = await survey_answers.by_link(uow, link, app.clock.now())
            except Problem as problem:
                return refused(problem, locale, 404)
            sid = survey.id or 0
            answered = await uow.surveys.has_voted(sid, keys.voter(sid, data.user.id))
            names = [e.name for e in await uow.cases.enterprises_of(survey.case_id)]
        return web.json_response(
            {
                "survey": _survey_view(app, survey, locale),
                "enterprises": "、".join(names),
                "answered": answered,
                "k": settings.survey_min_answers,
                "texts": survey_texts(app, locale),
            }
        )

    async def submit(request: web.Request) -> web.Response:
        body, data, locale = await body_of(request)
        assert data.user is not None
        answer = body.get("answer")
        if not isinstance(answer, dict):
            raise web.HTTPBadRequest(text="no answer")
        keys = app.survey_keys
        async with UnitOfWork(app.db.sessions) as uow:
            try:
                survey = await survey_answers.by_link(
                    uow, str(body.get("token") or ""), app.clock.now()
                )
                whole = survey_answers.whole(survey, answer)
                await survey_answers.record(
                    uow, keys, data.user.id, survey, whole, app.clock.now(), settings
                )
            except Problem as problem:
                status = 409 if problem.key == "surveys.already_answered" else 400
                return refused(problem, locale, status)
            await uow.commit()
        return web.json_response({"ok": True, "text": app.renderer.text(locale, "webapp.thanks")})

    async def deliver(
        data: Caller, locale: str, sheets: Any, name: str, said: str, n: int
    ) -> web.Response:
        """A workbook sent to the member's chat through the bot, in the flow controller's
        reply lane (the answer to a tap). A person who opened the page from a link without
        ever starting the bot has no chat with it yet (or has blocked it): told so, 409."""
        content = await app.offload.run(exports.workbook, sheets)
        try:
            with lane(Priority.reply):
                await app.bot.send_document(data.id, BufferedInputFile(content, filename=name))
        except (TelegramForbiddenError, TelegramBadRequest):
            text = app.renderer.text(locale, "webapp.board_no_chat")
            return web.json_response({"error": text, "text": text}, status=409)
        return web.json_response({"ok": True, "text": app.renderer.text(locale, said, n=n)})

    async def board_page(_request: web.Request) -> web.FileResponse:
        return web.FileResponse(BOARD, headers=PAGE_HEADERS)

    def filters_of(body: dict[str, Any]) -> tuple[cases.CaseFilter, str, int]:
        try:
            filters = cases.CaseFilter(
                org_id=_whole(body.get("org_id")),
                stage=Stage(body["stage"]) if body.get("stage") else None,
                case_type=CaseType(body["type"]) if body.get("type") else None,
                year=_whole(body.get("year")),
            )
            return filters, str(body.get("order") or "recent"), _whole(body.get("page")) or 1
        except (ValueError, TypeError):
            raise web.HTTPBadRequest(text="bad filter") from None

    async def member_of(uow: UnitOfWork, data: Caller) -> User:
        """The member the session names, as the chat loads them; others get 403."""
        member = await uow.users.by_telegram_id(data.id)
        if member is None or not member.active:
            raise web.HTTPForbidden(text="members only")
        return member

    async def board_export(request: web.Request) -> web.Response:
        """The dashboard's cases (its filters, every page) as a workbook, sent to the
        member's chat through the bot (and so through the flow controller)."""
        body, data, locale = await caller_of(request)
        filters, order, _ = filters_of(body)
        label = app.renderer.label
        rows: list[list[Any]] = []  # the table's cells only; a batch of cases at a time
        progress = ChatProgress(app.bot, app.renderer, data.id, locale, "webapp.board_progress")
        async with UnitOfWork(app.db.sessions) as uow:
            member = await member_of(uow, data)
            batches = cases.export_batches(
                uow, member, filters, order, app.clock.now(), settings.zone, settings.legal
            )
            async for batch in batches:
                rows += [
                    [
                        "、".join(e.name for e in r.enterprises),
                        batch.unions.get(r.case.org_id, ""),
                        batch.owners.get(r.case.owner_id, ""),
                        label(locale, enum_labels.key(r.case.case_type)),
                        r.case.year,
                        label(locale, enum_labels.key(r.case.stage)),
                        _next(app, locale, r.upcoming),
                    ]
                    for r in batch.rows
                ]
                await progress.update(batch.done, batch.total)
        await progress.finish(len(rows))
        header = [app.renderer.text(locale, f"webapp.board_{k}") for k in EXPORT_COLUMNS]
        sheet = exports.Sheet(
            app.renderer.text(locale, "webapp.board_file"),
            header,
            rows,
            widths=(30, 18, 10, 16, 6, 14, 28),
        )
        name = f"{app.renderer.text(locale, 'webapp.board_file')}.xlsx"
        return await deliver(data, locale, [sheet], name, "webapp.board_sent", len(rows))

    async def board_roster(request: web.Request) -> web.Response:
        """The roster tab (liaisons): a page of the subtree's instructors, searched by name,
        with their warnings, the count needing attention and the unions short of their quota;
        paged and counted in SQL (roster.roster_page)."""
        body, data, locale = await caller_of(request)
        page_no = max(_number(body, "page", 1) - 1, 0)
        query = str(body.get("q") or "")[:50]
        async with UnitOfWork(app.db.sessions) as uow:
            member = await member_of(uow, data)
            found = await roster.roster_page(uow, member, query, page_no, app.clock.now(), settings)
            short = [q for q in await roster.quotas(uow, member, settings) if q.short]
        label = app.renderer.label
        return web.json_response(
            {
                "rows": [
                    {
                        "name": (e.profile.name if e.profile else "") or e.user.display_name,
                        "union": e.union,
                        "age": e.age,
                        "active": e.user.active,
                        "warnings": [label(locale, key) for key in e.warnings],
                    }
                    for e in found.entries
                ],
                "page": found.page + 1,
                "pages": found.pages,
                "total": found.total,
                "warned": found.warned,
                "short": [{"union": q.org.name, "active": q.active, "low": q.low} for q in short],
            }
        )

    async def ranked(
        request: web.Request,
    ) -> tuple[Any, str, Caller, list[Any], dict[int, str], int]:
        """The liaison's subtree ranked for this year (assessment.results: the kept tallies,
        counted again for those whose work changed, which are kept), with the unions' names;
        instructors and strangers get 403."""
        body, data, locale = await caller_of(request)
        async with UnitOfWork(app.db.sessions) as uow:
            member = await member_of(uow, data)
            year = app.clock.now().astimezone(settings.zone).year
            found = await assessment.results(uow, member, year, settings)
            unions = {o.id or 0: o.name for o in await orgs.visible_orgs(uow, member)}
            await uow.commit()  # the tallies counted again
        return body, locale, data, found, unions, year

    async def board_assessment(request: web.Request) -> web.Response:
        """The assessment tab: the ranking a page at a time, ordered by a column."""
        body, _, _, found, unions, year = await ranked(request)
        page_no = _number(body, "page", 1)
        shown, page_no, pages = assessment.ranking_page(
            found, str(body.get("order") or "total"), page_no, BOARD_PAGE
        )
        return web.json_response(
            {
                "year": year,
                "rows": [
                    {
                        "rank": r.rank,
                        "name": r.user.display_name,
                        "union": unions.get(r.user.org_id, ""),
                        "total": round(r.total, 1),
                        "records": round(r.records, 1),
                        "evaluation": None if r.evaluation is None else round(r.evaluation, 1),
                    }
                    for r in shown
                ],
                "page": page_no,
                "pages": pages,
                "total": len(found),
            }
        )

    async def board_assessment_export(request: web.Request) -> web.Response:
        """The same workbook as the chat's 📥 (the ranking with every indicator), sent to the
        liaison's chat through the bot."""
        _, locale, data, found, unions, year = await ranked(request)
        ui = Ui(app.bot, app.renderer, locale)
        sheets = liaison_views.assessment_sheets(ui, found, unions)
        name = f"{app.renderer.label(locale, 'labels.assessment_file')}-{year}.xlsx"
        return await deliver(data, locale, sheets, name, "webapp.board_sent_people", len(found))

    async def board_surveys(request: web.Request) -> web.Response:
        """The surveys tab: the surveys whose results the member may read, a page at a time."""
        body, data, locale = await caller_of(request)
        page_no = _number(body, "page", 1)
        async with UnitOfWork(app.db.sessions) as uow:
            member = await member_of(uow, data)
            found = await survey_results.listing(uow, member, page_no, BOARD_PAGE)
        now = app.clock.now()
        label = app.renderer.label
        return web.json_response(
            {
                "rows": [
                    {
                        "id": sv.id,
                        "enterprises": "、".join(found.enterprises.get(sv.case_id, [])),
                        "phase": label(locale, f"labels.survey_{surveys.phase(sv, now)}"),
                        "answers": found.answers.get(sv.id or 0, 0),
                        "closes": app.renderer.format_datetime(sv.closes_at),
                    }
                    for sv in found.surveys
                ],
                "page": found.page,
                "pages": found.pages,
                "total": found.total,
            }
        )

    async def board_survey(request: web.Request) -> web.Response:
        """One survey's results as the chat shows them (released answers only, in steps of
        k), with the chart; for its case's instructor or a liaison above it."""
        body, data, locale = await caller_of(request)
        survey_id = _number(body, "survey_id")
        async with UnitOfWork(app.db.sessions) as uow:
            member = await member_of(uow, data)
            found = await survey_results.results(uow, member, survey_id, app.clock.now(), settings)
        ui = Ui(app.bot, app.renderer, locale)
        html = ui.text("surveys.results", **survey_views.results_context(ui, found))
        panels = survey_views.chart_panels(ui, found)
        chart = ""
        if panels:
            png = await app.offload.run(
                charts.bar_charts, panels, survey_views.chart_title(ui, found)
            )
            chart = "data:image/png;base64," + base64.b64encode(png).decode()
        return web.json_response({"html": html, "chart": chart})

    async def board_cases(request: web.Request) -> web.Response:
        """A page of the cases dashboard: the member the initData names, their cases only
        (a liaison's subtree, an instructor's own), filtered, ordered and paged in SQL."""
        body, data, locale = await caller_of(request)
        filters, order, page_no = filters_of(body)
        async with UnitOfWork(app.db.sessions) as uow:
            member = await member_of(uow, data)
            found = await cases.board(
                uow, member, filters, order, page_no, BOARD_PAGE, app.clock.now(),
                settings.zone, settings.legal,
            )  # fmt: skip
        label = app.renderer.label
        rows = [
            {
                "id": r.case.id,
                "enterprises": "、".join(e.name for e in r.enterprises),
                "union": found.unions.get(r.case.org_id, ""),
                "instructor": found.owners.get(r.case.owner_id, ""),
                "type": label(locale, enum_labels.key(r.case.case_type)),
                "year": r.case.year,
                "stage": label(locale, enum_labels.key(r.case.stage)),
                "next": _next(app, locale, r.upcoming),
            }
            for r in found.page.rows
        ]
        return web.json_response(
            {
                "rows": rows,
                "page": found.page.page,
                "pages": found.page.pages,
                "total": found.page.total,
                "choices": {
                    "unions": [{"id": i, "name": n} for i, n in found.union_choices],
                    "stages": [
                        {"value": s.value, "label": label(locale, enum_labels.key(s))}
                        for s in Stage
                    ],
                    "types": [
                        {"value": t.value, "label": label(locale, enum_labels.key(t))}
                        for t in CaseType
                    ],
                    "years": found.years,
                },
                "texts": {k: app.renderer.text(locale, f"webapp.board_{k}") for k in BOARD_TEXTS},
            }
        )

    async def board_tasks(request: web.Request) -> web.Response:
        """The tasks tab: a liaison's subtree's tasks with their recipients counted by
        answer, an instructor's own with their answer; only the overdue ones if asked;
        paged in SQL (assignments.board)."""
        body, data, locale = await caller_of(request)
        page_no = _number(body, "page", 1)
        today = app.clock.now().astimezone(settings.zone).date()
        async with UnitOfWork(app.db.sessions) as uow:
            member = await member_of(uow, data)
            found = await assignments.board(
                uow, member, bool(body.get("overdue")), page_no, BOARD_PAGE, today
            )
        label = app.renderer.label
        return web.json_response(
            {
                "rows": [
                    {
                        "id": r.assignment.id,
                        "kind": label(locale, enum_labels.key(r.assignment.kind)),
                        "due": r.assignment.due_on.isoformat(),
                        "text": r.assignment.description[:120],
                        "enterprise": r.enterprise,
                        "overdue": r.overdue,
                        "mine": None
                        if r.line is None
                        else label(locale, enum_labels.key(r.line.status)),
                        "counts": [
                            {"label": label(locale, enum_labels.key(s)), "n": r.counts.get(s, 0)}
                            for s in RecipientStatus
                            if r.line is None
                        ],
                    }
                    for r in found.rows
                ],
                "page": found.page,
                "pages": found.pages,
                "total": found.total,
            }
        )

    async def board_task(request: web.Request) -> web.Response:
        """One task's ledger (liaisons of its union or above): each recipient's delivery
        and answer, as the chat's status board shows them."""
        body, data, locale = await caller_of(request)
        async with UnitOfWork(app.db.sessions) as uow:
            member = await member_of(uow, data)
            found = await assignments.ledger(uow, member, _number(body, "assignment_id"))
        label = app.renderer.label
        return web.json_response(
            {
                "rows": [
                    {
                        "name": person.display_name,
                        "status": label(locale, enum_labels.key(line.status)),
                        "delivery": label(locale, f"labels.delivery_{delivery}"),
                        "reason": line.reason,
                    }
                    for person, line, delivery in found.rows
                ]
            }
        )

    async def board_task_export(request: web.Request) -> web.Response:
        """The chat's ledger workbook of one task, sent to the liaison's chat."""
        body, data, locale = await caller_of(request)
        async with UnitOfWork(app.db.sessions) as uow:
            member = await member_of(uow, data)
            found = await assignments.ledger(uow, member, _number(body, "assignment_id"))
        ui = Ui(app.bot, app.renderer, locale)
        task = found.assignment
        name = f"{ui.label('labels.assignment_file')}-{task.id}-{task.due_on}.xlsx"
        sheets = liaison_views.ledger_sheets(ui, found)
        return await deliver(
            data, locale, sheets, name, "webapp.board_sent_ledger", len(found.rows)
        )

    async def board_notices(request: web.Request) -> web.Response:
        """The notices tab (liaisons): the notices to the subtree, newest first, each with
        its deliveries counted (broadcasts.board)."""
        body, data, locale = await caller_of(request)
        async with UnitOfWork(app.db.sessions) as uow:
            member = await member_of(uow, data)
            found = await broadcasts.board(uow, member, _number(body, "page", 1), BOARD_PAGE)
        label = app.renderer.label
        return web.json_response(
            {
                "rows": [
                    {
                        "id": r.broadcast.id,
                        "when": app.renderer.format_datetime(r.broadcast.created_at),
                        "author": r.author,
                        "text": r.broadcast.text[:120],
                        "status": label(locale, enum_labels.key(r.broadcast.status)),
                        "total": r.broadcast.total,
                        "counts": [
                            {
                                "label": label(locale, f"labels.delivery_{s}"),
                                "n": r.counts.get(s, 0),
                            }
                            for s in ("sent", "pending", "failed", "blocked")
                        ],
                        "missed": r.counts.get("failed", 0) + r.counts.get("blocked", 0),
                    }
                    for r in found.rows
                ],
                "page": found.page,
                "pages": found.pages,
                "total": found.total,
            }
        )

    async def board_notice(request: web.Request) -> web.Response:
        """Whom one notice did not reach, a page at a time, for the liaison to call."""
        body, data, locale = await caller_of(request)
        async with UnitOfWork(app.db.sessions) as uow:
            member = await member_of(uow, data)
            found = await broadcasts.undelivered(
                uow, member, _number(body, "broadcast_id"), _number(body, "page", 1), BOARD_PAGE
            )
        label = app.renderer.label
        return web.json_response(
            {
                "rows": [
                    {
                        "name": person.display_name,
                        "status": label(locale, f"labels.delivery_{d.status}"),
                    }
                    for person, d in found.rows
                ],
                "page": found.page,
                "pages": found.pages,
                "total": found.total,
            }
        )

    board = {  # the dashboard's endpoints, each under /app/api/board/, a service's refusal 403
        "session": sign_in,
        "cases": board_cases,
        "export": board_export,
        "roster": board_roster,
        "assessment": board_assessment,
        "assessment/export": board_assessment_export,
        "surveys": board_surveys,
        "survey": board_survey,
        "tasks": board_tasks,
        "task": board_task,
        "task/export": board_task_export,
        "notices": board_notices,
        "notice": board_notice,
    }
    return [
        web.get("/app/board", board_page),
        *(web.post(f"/app/api/board/{path}", refusing(h)) for path, h in board.items()),
        web.get("/app/survey", page),
        web.post("/app/api/survey/open", open_),
        web.post("/app/api/survey/submit", submit),
    ]


def application(app: App) -> web.Application:
    web_app = web.Application(client_max_size=BODY_MAX)
    web_app.add_routes(routes(app))
    return web_app


async def serve(app: App) -> web.AppRunner | None:
    """The Mini App on its own port (polling mode, the playground); None without PUBLIC_URL."""
    if not app.settings.public_url:
        return None
    runner = web.AppRunner(application(app), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, app.settings.webapp_host, app.settings.webapp_port).start()
    log.info("Mini App at %s/app/survey", app.settings.public_url)
    return runner
