"""Bargaining cases: open one for an enterprise, see its card, move it through the stages
with the day each step happened, and record the workers' congress vote."""

from __future__ import annotations

from datetime import date
from typing import Any

from aiogram import F
from aiogram.filters import Command, StateFilter
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

from bot.callbacks import (
    AdviceCB,
    CaseCB,
    CaseEnterpriseCB,
    CaseListCB,
    CasePageCB,
    ChecksCB,
    CongressCB,
    DocsCB,
    Menu,
    MenuCB,
    MoveCB,
    NewCaseCB,
    PublishCB,
    ReportCB,
    RepsCB,
    RoundsCB,
    ShareCB,
    SurveysCB,
    TimelineCB,
    TopicsCB,
)
from bot.context import Ctx
from bot.presentation.ui import Ui, button, keyboard
from bot.services import cases, enterprises, rounds, supervision
from bot.services.errors import Problem
from bot.services.profiles import today_in
from handlers.blueprint import Blueprint
from handlers.common import show_menu
from handlers.filters import TEXT_INPUT, RoleFilter
from handlers.topics import ICONS, title_of
from storage.models import CaseTopic, CaseType, Role, Stage, TopicStatus

router = Blueprint("cases")
router.filter("message", RoleFilter(Role.instructor, Role.liaison))
router.filter("callback_query", RoleFilter(Role.instructor, Role.liaison))
INSTRUCTOR = RoleFilter(Role.instructor)
instructor = router.scoped(INSTRUCTOR)  # the handlers only an instructor reaches


def _card_markup(ui: Ui, view: cases.CaseView, more: bool = False) -> InlineKeyboardMarkup:
    """The card's buttons: what is done most on the first page (at most eight), the rest
    behind ⋯ 更多, so a phone shows the card and its buttons at once."""
    case_id, case = view.case.id or 0, view.case
    rows: list[list[Any]] = []
    if more:
        rows.append(
            [
                button(ui.label("labels.menu_rounds"), RoundsCB(case_id=case_id)),
                button(ui.label("labels.menu_timeline"), TimelineCB(case_id=case_id)),
            ]
        )
        rows.append(
            [
                button(ui.label("labels.menu_representatives"), RepsCB(case_id=case_id)),
                button(ui.label("labels.menu_advice"), AdviceCB(case_id=case_id)),
            ]
        )
        if case.stage in supervision.IN_FORCE:
            rows.append([button(ui.label("labels.menu_checks"), ChecksCB(case_id=case_id))])
        if view.editable:
            extra = [button(ui.label("labels.menu_share"), ShareCB(case_id=case_id))]
            if case.case_type in cases.MULTI_ENTERPRISE:
                extra.append(
                    button(ui.label("labels.add_enterprise"), CaseEnterpriseCB(case_id=case_id))
                )
            rows.append(extra)
            rows.append([button(ui.label("labels.menu_report"), ReportCB(case_id=case_id))])
            if Stage.terminated in view.next_stages:
                stop = MoveCB(case_id=case_id, stage=Stage.terminated.value)
                rows.append([button(ui.label("labels.to_stage_terminated"), stop)])
        rows.append([button(ui.label("labels.card_main"), CasePageCB(case_id=case_id))])
        return keyboard(rows)
    if view.editable and case.stage is Stage.draft:
        rows.append([button(ui.label("labels.record_congress"), CongressCB(case_id=case_id))])
    if view.editable and case.stage in cases.PUBLISHED_STAGES and case.published_on is None:
        rows.append([button(ui.label("labels.record_publication"), PublishCB(case_id=case_id))])
    if view.editable and case.stage in rounds.OPEN_STAGES:
        rows.append(
            [button(ui.label("labels.menu_log_round"), RoundsCB(case_id=case_id, new=True))]
        )
    moves = [
        button(
            ui.label(f"labels.to_stage_{stage.value}"), MoveCB(case_id=case_id, stage=stage.value)
        )
        for stage in view.next_stages
        if stage is not Stage.terminated  # rare and final: on the second page
    ]
    rows += [moves[i : i + 2] for i in range(0, len(moves), 2)]
    rows.append(
        [
            button(ui.label("labels.menu_topics"), TopicsCB(case_id=case_id)),
            button(ui.label("labels.menu_surveys"), SurveysCB(case_id=case_id)),
        ]
    )
    rows.append(
        [
            button(ui.label("labels.menu_documents"), DocsCB(case_id=case_id)),
            button(ui.label("labels.card_more"), CasePageCB(case_id=case_id, more=True)),
        ]
    )
    rows.append(
        [
            button(ui.label("labels.menu_cases"), MenuCB(action=Menu.cases)),
            button(ui.label("labels.back_to_menu"), MenuCB(action=Menu.home)),
        ]
    )
    return keyboard(rows)


async def show_case(
    ui: Ui,
    chat_id: int,
    view: cases.CaseView,
    more: bool = False,
    message: Message | None = None,
) -> None:
    """The case card; `message`: turn the page of the card shown there, in place."""
    case = view.case
    congress = None
    if case.congress_total is not None:
        congress = {
            "total": case.congress_total,
            "present": case.congress_present,
            "yes": case.congress_yes,
            "passed": case.congress_passed,
        }
    await ui.edit_or_send(
        message,
        chat_id,
        "cases.card",
        _card_markup(ui, view, more),
        enterprises="、".join(e.name for e in view.enterprises),
        type=ui.enum(case.case_type),
        year=case.year,
        stage=ui.enum(case.stage),
        stage_on=case.stage_on,
        offer_on=case.offer_on,
        first_round_on=case.first_round_on,
        signed_on=case.signed_on,
        term_years=case.term_years,
        filed_on=case.filed_on,
        effective=view.deadlines.effective,
        expiry=view.deadlines.expiry,
        congress=congress,
        published_on=case.published_on,
        published_how=case.published_how,
        upcoming=[(ui.text(f"cases.deadline_{name}"), day) for name, day in view.upcoming],
        topics=[
            {
                "icon": ICONS[t.status],
                "title": title_of(ui, t),
                "status": ui.enum(t.status),
            }
            for t in view.topics
        ],
        last_round=view.last_round,
    )


async def show_card(
    ctx: Ctx, case_id: int, more: bool = False, message: Message | None = None
) -> None:
    """The case card, over the pressed message (or `message`) when there is one."""
    settings = ctx.settings
    view = await cases.view(ctx.uow, ctx.member, case_id, ctx.now(), settings.zone, settings.legal)
    await show_case(ctx.ui, ctx.ui.chat_id or 0, view, more, message)


def _next_deadline(ui: Ui, upcoming: list[tuple[str, date]]) -> str:
    if not upcoming:
        return ""
    name, day = upcoming[0]
    return f"{ui.text('cases.deadline_' + name)} {day.isoformat()}"


CASES_PER_PAGE = 10


@router.callback_query(MenuCB.filter(F.action == Menu.cases))
@router.callback_query(CaseListCB.filter())
async def list_cases(query: CallbackQuery, callback_data: CaseListCB | MenuCB, ctx: Ctx) -> None:
    wanted = callback_data.page if isinstance(callback_data, CaseListCB) else 1
    settings = ctx.settings
    found = await cases.case_page(
        ctx.uow, ctx.member, wanted, CASES_PER_PAGE, ctx.now(), settings.zone, settings.legal
    )
    page, pages = found.page, found.pages
    items = [
        {
            "name": "、".join(e.name for e in row.enterprises),
            "type": ctx.ui.enum(row.case.case_type),
            "year": row.case.year,
            "stage": ctx.ui.enum(row.case.stage),
            "next": _next_deadline(ctx.ui, row.upcoming),
        }
        for row in found.rows
    ]
    rows = [
        # The year tells two cases of one enterprise apart (this year's and last year's).
        [
            button(
                f"{str(item['name'])[:36]} · {item['year']} · {item['stage']}",
                CaseCB(case_id=row.case.id or 0),
            )
        ]
        for item, row in zip(items, found.rows, strict=True)
    ]
    nav = []
    if page > 1:
        nav.append(button(ctx.ui.label("labels.prev_page"), CaseListCB(page=page - 1)))
    if page < pages:
        nav.append(button(ctx.ui.label("labels.next_page"), CaseListCB(page=page + 1)))
    rows.append(nav)
    rows.append([button(ctx.ui.label("labels.back_to_menu"), MenuCB(action=Menu.home))])
    title = (
        "labels.my_cases_title"
        if ctx.member.role is Role.instructor
        else "labels.subtree_cases_title"
    )
    text = ctx.ui.text("cases.list", items=items, title=ctx.ui.label(title))
    if pages > 1:
        text += "\n" + ctx.ui.text("cases.page", page=page, pages=pages)
    pressed = query.message if isinstance(query.message, Message) else None
    await ctx.ui.edit_or_send_html(pressed, query.from_user.id, text, keyboard(rows))  # in place


@router.callback_query(TimelineCB.filter())
async def show_timeline(query: CallbackQuery, callback_data: TimelineCB, ctx: Ctx) -> None:
    entries = await cases.timeline(ctx.uow, ctx.member, callback_data.case_id, ctx.settings.zone)
    items = [
        {"when": _when(ctx.ui, e), "text": ctx.ui.text(f"cases.tl_{e.kind}", **_shown(ctx.ui, e))}
        for e in entries
    ]
    back = keyboard(
        [[button(ctx.ui.label("labels.back_to_case"), CaseCB(case_id=callback_data.case_id))]]
    )
    await ctx.ui.show("cases.timeline", back, items=items)


def _when(ui: Ui, entry: cases.TimelineEntry) -> str:
    on = entry.params.get("on")
    return on.isoformat() if isinstance(on, date) else ui.renderer.format_datetime(entry.at)


def _shown(ui: Ui, entry: cases.TimelineEntry) -> dict[str, Any]:
    """Timeline parameters as the user reads them: labels for enums, titles for topics."""
    shown: dict[str, Any] = {}
    for name, value in entry.params.items():
        if isinstance(value, Stage | TopicStatus):
            shown[name] = ui.enum(value)
        elif isinstance(value, CaseTopic):
            shown[name] = title_of(ui, value)
        elif name == "category":
            shown[name] = ui.label(f"labels.category_{value}")
        else:
            shown[name] = value
    return shown


@router.callback_query(CaseCB.filter())
async def open_case_card(query: CallbackQuery, callback_data: CaseCB, ctx: Ctx) -> None:
    await ctx.form_state.clear()
    await show_card(ctx, callback_data.case_id)


@router.callback_query(CasePageCB.filter())
async def turn_card_page(query: CallbackQuery, callback_data: CasePageCB, ctx: Ctx) -> None:
    """⋯ 更多 / back to the main page: the same card, its page turned in place."""
    shown = query.message if isinstance(query.message, Message) else None
    await show_card(ctx, callback_data.case_id, callback_data.more, shown)


@instructor.callback_query(NewCaseCB.filter(F.case_type == ""))
async def choose_type(query: CallbackQuery, callback_data: NewCaseCB, ctx: Ctx) -> None:
    enterprise = await enterprises.visible(ctx.uow, ctx.member, callback_data.enterprise_id)
    rows = [
        [
            button(
                ctx.ui.enum(t),
                NewCaseCB(enterprise_id=callback_data.enterprise_id, case_type=t.value),
            )
        ]
        for t in CaseType
    ]
    rows.append([button(ctx.ui.label("labels.back_to_menu"), MenuCB(action=Menu.home))])
    await ctx.ui.show("cases.choose_type", keyboard(rows), enterprise=enterprise.name)


@instructor.callback_query(NewCaseCB.filter((F.case_type != "") & (F.year == 0)))
async def choose_year(query: CallbackQuery, callback_data: NewCaseCB, ctx: Ctx) -> None:
    this_year = today_in(ctx.settings.zone, ctx.now()).year
    row = [
        button(
            str(year),
            NewCaseCB(
                enterprise_id=callback_data.enterprise_id,
                case_type=callback_data.case_type,
                year=year,
            ),
        )
        for year in (this_year, this_year + 1)
    ]
    await ctx.ui.show(
        "cases.choose_year",
        keyboard([row, [button(ctx.ui.label("labels.cancel"), MenuCB(action=Menu.home))]]),
    )


@instructor.callback_query(NewCaseCB.filter(F.year > 0))
async def create(query: CallbackQuery, callback_data: NewCaseCB, ctx: Ctx) -> None:
    today = today_in(ctx.settings.zone, ctx.now())
    year = cases.parse_year(str(callback_data.year), today)
    try:
        case_type = CaseType(callback_data.case_type)
    except ValueError:
        raise Problem("common.expired_button") from None
    case = await cases.open_case(
        ctx.uow,
        ctx.member,
        callback_data.enterprise_id,
        case_type,
        year,
        ctx.now(),
        ctx.settings.zone,
    )
    await show_card(ctx, case.id or 0)


# ----- several enterprises, sharing -----
class AddEnterprise(StatesGroup):
    query = State()


@instructor.callback_query(CaseEnterpriseCB.filter(F.enterprise_id == 0))
async def ask_enterprise(query: CallbackQuery, callback_data: CaseEnterpriseCB, ctx: Ctx) -> None:
    await cases.editable(ctx.uow, ctx.member, callback_data.case_id)
    await ctx.form_state.set_state(AddEnterprise.query)
    await ctx.form_state.set_data({"case_id": callback_data.case_id})
    back = keyboard(
        [[button(ctx.ui.label("labels.cancel"), CaseCB(case_id=callback_data.case_id))]]
    )
    await ctx.ui.show("cases.add_enterprise_prompt", back)


@instructor.message(AddEnterprise.query, TEXT_INPUT)
async def search_enterprise(message: Message, ctx: Ctx) -> None:
    case_id = int((await ctx.form_state.get_data())["case_id"])
    found = await enterprises.search(ctx.uow, ctx.member, message.text or "")
    rows = [
        [button(e.name, CaseEnterpriseCB(case_id=case_id, enterprise_id=e.id or 0))] for e in found
    ]
    rows.append([button(ctx.ui.label("labels.back_to_case"), CaseCB(case_id=case_id))])
    await ctx.ui.send(
        message.chat.id, "enterprises.search_results", keyboard(rows), count=len(found)
    )


@instructor.callback_query(CaseEnterpriseCB.filter(F.enterprise_id > 0))
async def add_enterprise(query: CallbackQuery, callback_data: CaseEnterpriseCB, ctx: Ctx) -> None:
    await cases.add_enterprise(
        ctx.uow, ctx.member, callback_data.case_id, callback_data.enterprise_id, ctx.now()
    )
    await ctx.form_state.clear()
    await show_card(ctx, callback_data.case_id)


@instructor.callback_query(ShareCB.filter())
async def share(query: CallbackQuery, callback_data: ShareCB, ctx: Ctx) -> None:
    case_id = callback_data.case_id
    if callback_data.user_id:
        current = await cases.sharing(ctx.uow, ctx.member, case_id)
        now_shared = any(u.id == callback_data.user_id for u in current.shared)
        await cases.set_share(
            ctx.uow, ctx.member, case_id, callback_data.user_id, not now_shared, ctx.now()
        )
    found = await cases.sharing(ctx.uow, ctx.member, case_id)
    rows = [
        [button(f"✅ {u.display_name}"[:60], ShareCB(case_id=case_id, user_id=u.id or 0))]
        for u in found.shared
    ]
    rows += [
        [button(f"➕ {u.display_name}"[:60], ShareCB(case_id=case_id, user_id=u.id or 0))]
        for u in found.candidates[:20]
    ]
    rows.append([button(ctx.ui.label("labels.back_to_case"), CaseCB(case_id=case_id))])
    await ctx.ui.show(
        "cases.sharing",
        keyboard(rows),
        shared="、".join(u.display_name for u in found.shared),
    )


@router.message(Command("menu", "start"), StateFilter(AddEnterprise.query))
async def leave_input(message: Message, ctx: Ctx) -> None:
    await ctx.form_state.clear()
    await show_menu(ctx.ui, ctx.uow, ctx.member, message.chat.id)


@router.message(AddEnterprise.query)
async def enterprise_query_needs_text(message: Message, ctx: Ctx) -> None:
    await ctx.ui.send(message.chat.id, "common.text_expected")
