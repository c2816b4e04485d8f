"""Proactive messages composed in each recipient's language and sent through the sender;
used by handlers and by scheduled jobs alike."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aiogram.methods import SendPhoto

from bot.callbacks import ReportAckCB, ReportThreadCB
from bot.presentation.rendering import Renderer
from bot.presentation.ui import Ui, button, keyboard
from bot.sender import Delivery, Sender
from storage.models import Org, ProblemReport, User


async def report_to_liaisons(
    sender: Sender,
    renderer: Renderer,
    report: ProblemReport,
    reporter: User,
    reported_in: Org,
    recipients: Sequence[User],
    case_label: str = "",
    escalated_from: Org | None = None,
    minutes: int = 0,
) -> int:
    """Send the report to each recipient with an Acknowledge button; returns how many got it."""
    delivered = 0
    for liaison in recipients:
        locale = renderer.locale(liaison.locale)
        text = renderer.text(
            locale,
            "reports.for_liaison",
            urgent=report.urgent,
            reporter=reporter.display_name,
            org=reported_in.name,
            category=renderer.label(locale, f"labels.category_{report.category}"),
            case=case_label,
            text=report.text,
            escalated=escalated_from is not None,
            from_org=escalated_from.name if escalated_from else "",
            minutes=minutes,
        )
        markup = keyboard(
            [
                [
                    button(
                        renderer.label(locale, "labels.acknowledge"),
                        ReportAckCB(report_id=report.id or 0),
                    ),
                    button(
                        renderer.label(locale, "labels.report_instruct"),
                        ReportThreadCB(report_id=report.id or 0, say=True),
                    ),
                ]
            ]
        )
        result = await sender.send_message(liaison.telegram_id, text, reply_markup=markup)
        if result is Delivery.sent:
            delivered += 1
            if report.photo_file_id:
                await sender.deliver(
                    liaison.telegram_id,
                    SendPhoto(chat_id=liaison.telegram_id, photo=report.photo_file_id),
                )
    return delivered


async def tell_each(
    sender: Sender,
    ui: Ui,
    people: Sequence[User],
    key: str,
    action: tuple[str, Any] | None = None,
    **context: Any,
) -> int:
    """Send the text `key` to each person in their own language, with one button (its label
    key and callback data) when given; how many got it."""
    delivered = 0
    for person in people:
        other = ui.for_locale(person.locale)
        markup = keyboard([[button(other.label(action[0]), action[1])]]) if action else None
        sent = await sender.send_message(
            person.telegram_id, other.text(key, **context), reply_markup=markup
        )
        delivered += sent is Delivery.sent
    return delivered
