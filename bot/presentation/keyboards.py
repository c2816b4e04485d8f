"""Inline keyboards built from labels in the user's locale."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from aiogram.fsm.context import FSMContext
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, WebAppInfo

from bot.callbacks import (
    CaseCB,
    InviteOrgCB,
    InvitePageCB,
    InviteRevokeCB,
    InviteRoleCB,
    LangCB,
    Menu,
    MenuCB,
    ProfileAct,
    ProfileCB,
    ReportCB,
)
from bot.presentation.ui import Ui, button, keyboard
from storage.models import Invite, Org, Role, User

PAGE_SIZE = 8


def main_menu(ui: Ui, role: Role, has_profile: bool) -> InlineKeyboardMarkup:
    rows: list[list[InlineKeyboardButton]] = []
    if ui.web_base:  # the dashboard, a page inside Telegram (the Mini App)
        board = WebAppInfo(url=f"{ui.web_base}/app/board")
        rows.append([InlineKeyboardButton(text=ui.label("labels.menu_board"), web_app=board)])
    if role is Role.liaison:
        rows += [
            [button(ui.label("labels.menu_invite"), MenuCB(action=Menu.invite))],
            [
                button(ui.label("labels.menu_invites_open"), MenuCB(action=Menu.invites)),
                button(ui.label("labels.menu_pending"), MenuCB(action=Menu.pending)),
            ],
        ]
        rows.append(
            [
                button(
                    ui.label("labels.menu_assignments_liaison"), MenuCB(action=Menu.assignments)
                ),
                button(ui.label("labels.menu_broadcast"), MenuCB(action=Menu.broadcast)),
            ]
        )
        rows.append(
            [
                button(ui.label("labels.menu_roster"), MenuCB(action=Menu.roster)),
                button(ui.label("labels.menu_expenses_liaison"), MenuCB(action=Menu.expenses)),
            ]
        )
        rows.append([button(ui.label("labels.menu_assessment"), MenuCB(action=Menu.assessment))])
        rows.append(
            [
                button(ui.label("labels.menu_cases_liaison"), MenuCB(action=Menu.cases)),
                button(ui.label("labels.menu_guideline"), MenuCB(action=Menu.guideline)),
            ]
        )
    else:
        rows += [
            [button(ui.label("labels.menu_cases"), MenuCB(action=Menu.cases))],
            [
                button(ui.label("labels.menu_ent_find"), MenuCB(action=Menu.ent_find)),
                button(ui.label("labels.menu_ent_new"), MenuCB(action=Menu.ent_new)),
            ],
        ]
        rows.append(
            [
                button(ui.label("labels.menu_report"), ReportCB()),
                button(ui.label("labels.menu_my_reports"), MenuCB(action=Menu.my_reports)),
            ]
        )
        rows.append(
            [
                button(ui.label("labels.menu_assignments"), MenuCB(action=Menu.assignments)),
                button(ui.label("labels.menu_expenses"), MenuCB(action=Menu.expenses)),
            ]
        )
        rows.append(
            [button(ui.label("labels.menu_assessment_mine"), MenuCB(action=Menu.assessment))]
        )
        key = "labels.menu_profile" if has_profile else "labels.menu_profile_fill"
        rows.append([button(ui.label(key), MenuCB(action=Menu.profile))])
    rows.append(
        [
            button(ui.label("labels.menu_trainings"), MenuCB(action=Menu.trainings)),
            button(ui.label("labels.menu_reminders"), MenuCB(action=Menu.reminders)),
        ]
    )
    rows.append(
        [
            button(ui.label("labels.menu_lang"), MenuCB(action=Menu.lang)),
            button(ui.label("labels.menu_help"), MenuCB(action=Menu.help)),
        ]
    )
    return keyboard(rows)


def back_to_menu(ui: Ui) -> InlineKeyboardMarkup:
    return keyboard([[button(ui.label("labels.back_to_menu"), MenuCB(action=Menu.home))]])


def back_from(ui: Ui, data: dict[str, Any]) -> InlineKeyboardMarkup:
    """Where a left flow returns: to its case when it was about one, else to the menu."""
    case_id = data.get("case_id", data.get("_case_id"))  # documents keep it as _case_id
    if isinstance(case_id, int) and case_id > 0:
        back = button(ui.label("labels.back_to_case"), CaseCB(case_id=case_id))
        return keyboard(
            [[back], [button(ui.label("labels.back_to_menu"), MenuCB(action=Menu.home))]]
        )
    return back_to_menu(ui)


def languages() -> InlineKeyboardMarkup:
    return keyboard([[button("中文", LangCB(code="zh")), button("English", LangCB(code="en"))]])


def invite_roles(ui: Ui) -> InlineKeyboardMarkup:
    return keyboard(
        [
            [button(ui.label("labels.role_instructor"), InviteRoleCB(role=Role.instructor))],
            [button(ui.label("labels.role_liaison"), InviteRoleCB(role=Role.liaison))],
            [button(ui.label("labels.back_to_menu"), MenuCB(action=Menu.home))],
        ]
    )


def pages(count: int) -> int:
    return max(1, -(-count // PAGE_SIZE))


def invite_orgs(ui: Ui, role: str, orgs: Sequence[Org], page: int) -> InlineKeyboardMarkup:
    page = min(max(page, 1), pages(len(orgs)))
    shown = orgs[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    rows = [[button(org.name, InviteOrgCB(role=role, org_id=org.id or 0))] for org in shown]
    nav = []
    if page > 1:
        nav.append(button(ui.label("labels.prev_page"), InvitePageCB(role=role, page=page - 1)))
    if page < pages(len(orgs)):
        nav.append(button(ui.label("labels.next_page"), InvitePageCB(role=role, page=page + 1)))
    rows.append(nav)
    rows.append([button(ui.label("labels.back_to_menu"), MenuCB(action=Menu.home))])
    return keyboard(rows)


def open_invites(ui: Ui, invites: Sequence[tuple[Invite, Org]]) -> InlineKeyboardMarkup:
    rows = [
        [
            button(
                f"{ui.label('labels.revoke')} · {org.name}",
                InviteRevokeCB(invite_id=invite.id or 0),
            )
        ]
        for invite, org in invites[:PAGE_SIZE]
    ]
    rows.append([button(ui.label("labels.back_to_menu"), MenuCB(action=Menu.home))])
    return keyboard(rows)


def profile_view(ui: Ui) -> InlineKeyboardMarkup:
    return keyboard(
        [
            [button(ui.label("labels.edit_profile"), ProfileCB(action=ProfileAct.edit_saved))],
            [button(ui.label("labels.back_to_menu"), MenuCB(action=Menu.home))],
        ]
    )


def people_picker(
    ui: Ui,
    people: Sequence[User],
    chosen: Sequence[int],
    pick: Callable[[int], Any],
    cancel: Any,
    send: Any,
    send_label: str,
) -> InlineKeyboardMarkup:
    """Tick people two to a row, then Cancel and Send (with how many are chosen)."""
    toggles = [
        button(("✅ " if p.id in chosen else "▫️ ") + p.display_name, pick(p.id or 0))
        for p in people
    ]
    rows = [toggles[i : i + 2] for i in range(0, len(toggles), 2)]
    rows.append(
        [
            button(ui.label("labels.cancel"), cancel),
            button(ui.label(send_label, n=len(chosen)), send),
        ]
    )
    return keyboard(rows)


async def toggle_chosen(state: FSMContext, who: int, people: Sequence[User]) -> list[int]:
    """Tick or untick `who` in the form's `_chosen` list; the list as it is now. Only the
    people offered can be ticked: a forged id is ignored, so the count shown is the count
    sent."""
    offered = {p.id for p in people}
    chosen = [c for c in (await state.get_data()).get("_chosen", []) if c in offered]
    if who in chosen:
        chosen = [c for c in chosen if c != who]
    elif who in offered:
        chosen = [*chosen, who]
    await state.update_data(_chosen=chosen)
    return chosen
