"""Drafting documents on a case: pick one of the ten types, answer only what the records do
not know, review every field (with a plain-text preview), get the Word file; earlier
versions stay and can be sent again, as PDF too where LibreOffice is installed."""

from __future__ import annotations

import html
import logging
from datetime import datetime
from typing import Any

from aiogram import Bot, F
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import BufferedInputFile, CallbackQuery, InlineKeyboardMarkup, Message
from jinja2 import TemplateError

from bot.callbacks import ArchiveCB, CaseCB, DocFileCB, DocNewCB, DocsCB, RedlineCB
from bot.context import Ctx
from bot.presentation import document_views as views
from bot.presentation import redline
from bot.presentation.pdf import PdfConverter
from bot.presentation.ui import Ui, button, keyboard
from bot.presentation.word import Documents
from bot.services import archive, contracts, documents
from bot.services.errors import Problem
from bot.settings import Settings
from handlers.blueprint import Blueprint
from handlers.filters import SENDS_FILE, RoleFilter
from handlers.forms import Env, Form, Step, StepContext
from storage.models import CaseDocument, Role, User
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)
router = Blueprint("documents")
router.filter("message", RoleFilter(Role.instructor, Role.liaison))
router.filter("callback_query", RoleFilter(Role.instructor, Role.liaison))
INSTRUCTOR = RoleFilter(Role.instructor)
instructor = router.scoped(INSTRUCTOR)  # the handlers only an instructor reaches
PREFIX = "doc_"
RECENT = 8


# ----- the documents screen -----
async def show_menu(ui: Ui, chat_id: int, uow: UnitOfWork, user: User, case_id: int) -> None:
    shelf = await documents.versions(uow, user, case_id)
    rows: list[list[Any]] = []
    if shelf.editable:
        kinds = [
            button(ui.label(f"labels.doc_{kind}"), DocNewCB(case_id=case_id, kind=kind))
            for kind in shelf.offered
        ]
        rows += [kinds[i : i + 2] for i in range(0, len(kinds), 2)]
    if shelf.archivable:
        rows.append([button(ui.label("labels.doc_archive_signed"), ArchiveCB(case_id=case_id))])
    rows += [
        [
            button(
                f"📄 {ui.label(f'labels.doc_{d.kind}')} v{d.version} · "
                f"{d.created_at.astimezone(ui.renderer.zone):%m-%d %H:%M}",
                DocFileCB(document_id=d.id or 0),
            )
        ]
        for d in shelf.made[:RECENT]
    ]
    rows.append([button(ui.label("labels.back_to_case"), CaseCB(case_id=case_id))])
    await ui.show("documents.menu", keyboard(rows), count=len(shelf.made), editable=shelf.editable)


@router.callback_query(DocsCB.filter())
async def menu(query: CallbackQuery, callback_data: DocsCB, ctx: Ctx) -> None:
    await ctx.form_state.clear()
    await show_menu(ctx.ui, query.from_user.id, ctx.uow, ctx.member, callback_data.case_id)


# ----- the interviews -----
def _parser(ask: documents.Ask) -> Any:
    def parse(text: str, context: StepContext) -> str:
        settings = context.settings
        return documents.parse_answer(ask, text, context.now, settings.zone, settings.legal)

    return parse


def _summary(kind: str) -> Any:
    def summary(ui: Ui, context: StepContext) -> dict[str, Any]:
        answers = {k.removeprefix(PREFIX): v for k, v in context.form.items()}
        shown = views.answers_shown(kind, answers, context.settings)
        return {
            "title": ui.label(f"labels.doc_{kind}"),
            "fields": [
                (ui.label(f"labels.field_{PREFIX}{ask.name}"), _value(ui, ask, shown[ask.name]))
                for ask in documents.ASKS[kind]
            ],
        }

    return summary


def _value(ui: Ui, ask: documents.Ask, shown: str) -> str:
    if ask.kind == "choice" and shown:
        return ui.label(f"labels.doc_choice_{shown}")
    return shown


def _answers(form: dict[str, Any]) -> dict[str, Any]:
    return {k.removeprefix(PREFIX): v for k, v in form.items() if k.startswith(PREFIX)}


async def _build(
    kind: str, case_id: int, answers: dict[str, Any], ctx: Ctx
) -> tuple[documents.Facts, bytes]:
    """Gather the records, check the answers against them, render the Word file."""
    uow: UnitOfWork = ctx.uow
    settings: Settings = ctx.settings
    now = ctx.now()
    facts = await documents.gather(uow, ctx.member, case_id, now, settings)
    documents.check_answers(kind, facts, answers, settings.legal, settings.zone)
    values = views.context(kind, facts, answers, ctx.renderer, settings, now)
    docs: Documents = ctx.documents
    try:
        return facts, await docs.render(kind, values)
    except (TemplateError, ValueError, KeyError) as error:
        log.warning("template %s failed: %s", kind, error)
        raise Problem("documents.template_broken", kind=kind, error=str(error)[:300]) from None


def _make_form(kind: str) -> Form:
    steps = [
        Step(
            field=PREFIX + ask.name,
            prompt=f"documents.ask_{ask.name}",
            parse=None if ask.kind == "choice" else _parser(ask),
            choices=tuple((f"labels.doc_choice_{c}", c) for c in ask.choices),
            optional=ask.optional,
        )
        for ask in documents.ASKS[kind]
    ]

    async def back_to_review(query: CallbackQuery, ctx: Ctx) -> None:
        env = Env.of(ctx)
        await FORMS[kind].review(env)

    async def generate(query: CallbackQuery, form: dict[str, Any], ctx: Ctx) -> None:
        ui: Ui = ctx.ui
        state: FSMContext = ctx.form_state
        case_id = int((await state.get_data())["_case_id"])
        answers = _answers(form)
        try:
            facts, content = await _build(kind, case_id, answers, ctx)
        except Problem as problem:
            await ui.send(query.from_user.id, problem.key, **problem.params)
            await back_to_review(query, ctx)
            return
        now: datetime = ctx.now()
        short = ui.renderer.label("zh", f"labels.doc_file_{kind}")
        day = now.astimezone(ctx.settings.zone).date().isoformat()

        def name(version: int) -> str:
            parts = (short, facts.enterprise.name[:20], day, f"v{version}")
            return documents.safe_file_name(*parts) + ".docx"

        record = await documents.save(
            ctx.uow, ctx.member, case_id, kind, answers, content, name, now
        )
        await state.clear()
        # The review gives way to a line saying what was made; the file is a new message.
        title = ui.label(f"labels.doc_{kind}")
        await ui.show("documents.made", title=title, version=record.version)
        await _send(ctx.bot, ui, query.from_user.id, record, ctx.pdf)

    async def preview(query: CallbackQuery, form: dict[str, Any], ctx: Ctx) -> None:
        ui: Ui = ctx.ui
        case_id = int((await ctx.form_state.get_data())["_case_id"])
        try:
            _, content = await _build(kind, case_id, _answers(form), ctx)
        except Problem as problem:
            await ui.send(query.from_user.id, problem.key, **problem.params)
        else:
            text = views.plain_text(content)
            await ui.send_html(query.from_user.id, f"<pre>{html.escape(text)}</pre>")
        await back_to_review(query, ctx)

    return Form(
        f"d{kind}"[:12],
        steps,
        review="documents.review",
        summary=_summary(kind),
        submit=generate,
        preview=preview,
        submit_flags=SENDS_FILE,
    )


FORMS = {kind: _make_form(kind) for kind in documents.KINDS}
for _form in FORMS.values():
    _form.register(router, INSTRUCTOR)


@instructor.callback_query(DocNewCB.filter(F.kind.in_(documents.KINDS)))
async def start(query: CallbackQuery, callback_data: DocNewCB, ctx: Ctx) -> None:
    kind, now = callback_data.kind, ctx.now()
    facts = await documents.gather(ctx.uow, ctx.member, callback_data.case_id, now, ctx.settings)
    documents.check_ready(kind, facts)
    known = documents.prefill(kind, facts, now, ctx.settings)
    await ctx.ui.show(
        "documents.intro",
        title=ctx.ui.label(f"labels.doc_{kind}"),
        known=len(known),
        asked=len(documents.ASKS[kind]) - len(known),
    )
    initial: dict[str, Any] = {PREFIX + name: value for name, value in known.items()}
    initial["_case_id"] = callback_data.case_id
    env = Env.of(ctx)
    await FORMS[kind].start(env, initial)


# ----- files -----
def _file_markup(ui: Ui, record: CaseDocument, pdf: PdfConverter) -> InlineKeyboardMarkup:
    rows = []
    if pdf.available and record.file_name.endswith(".docx"):
        rows.append(
            [button(ui.label("labels.doc_pdf"), DocFileCB(document_id=record.id or 0, pdf=True))]
        )
    if record.kind in documents.CONTRACTS:
        rows.append([button(ui.label("labels.redline"), RedlineCB(document_id=record.id or 0))])
    rows.append([button(ui.label("labels.back_to_documents"), DocsCB(case_id=record.case_id))])
    return keyboard(rows)


async def _send(bot: Bot, ui: Ui, chat_id: int, record: CaseDocument, pdf: PdfConverter) -> None:
    await bot.send_document(
        chat_id,
        BufferedInputFile(record.content, filename=record.file_name),
        caption=ui.text(
            "documents.caption",
            title=ui.label(f"labels.doc_{record.kind}"),
            version=record.version,
            at=record.created_at,
        ),
        reply_markup=_file_markup(ui, record, pdf),
    )


@router.callback_query(DocFileCB.filter(~F.pdf), flags=SENDS_FILE)
async def resend(
    query: CallbackQuery, callback_data: DocFileCB, bot: Bot, pdf: PdfConverter, ctx: Ctx
) -> None:
    record = await documents.stored(ctx.uow, ctx.member, callback_data.document_id)
    await _send(bot, ctx.ui, query.from_user.id, record, pdf)


@router.callback_query(DocFileCB.filter(F.pdf), flags=SENDS_FILE)
async def as_pdf(
    query: CallbackQuery, callback_data: DocFileCB, bot: Bot, pdf: PdfConverter, ctx: Ctx
) -> None:
    record = await documents.stored(ctx.uow, ctx.member, callback_data.document_id)
    if not pdf.available:
        raise Problem("documents.no_pdf")
    try:
        content = await pdf.convert(record.content)
    except RuntimeError:
        raise Problem("documents.pdf_failed") from None
    await bot.send_document(
        query.from_user.id,
        BufferedInputFile(content, filename=record.file_name.removesuffix(".docx") + ".pdf"),
    )


# ----- comparing a contract with the last one -----
UPLOAD_MAX_MB = 10


class RedlineInput(StatesGroup):
    file = State()


async def _compare(
    ctx: Ctx, chat_id: int, current: CaseDocument, before: bytes, against: str
) -> None:
    """Send this contract with its changes against `before` tracked, and the table of the
    articles that changed."""
    ui: Ui = ctx.ui
    if not redline.is_docx(before):
        raise Problem("contracts.redline_not_docx", mb=UPLOAD_MAX_MB)
    now = ctx.now()
    try:
        marked = await ctx.offload.run(redline.compare, before, current.content, "协商助手", now)
        old, new = await ctx.offload.run(
            lambda: (redline.articles_of(before), redline.articles_of(current.content))
        )
    except (OSError, ValueError, RuntimeError) as error:  # the engine refused the file
        log.warning("redline of document %s failed: %s", current.id, error)
        raise Problem("contracts.redline_failed") from None
    rows = [
        {"label": row.label, "change": row.change} for row in contracts.changed_articles(old, new)
    ]
    name = "对照-" + current.file_name
    await ctx.bot.send_document(chat_id, BufferedInputFile(marked, filename=name))
    again = keyboard(
        [
            [
                button(
                    ui.label("labels.redline_upload"),
                    RedlineCB(document_id=current.id or 0, upload=True),
                )
            ],
            [button(ui.label("labels.back_to_documents"), DocsCB(case_id=current.case_id))],
        ]
    )
    await ui.reply("contracts.redline_made", again, against=against, rows=rows)


async def _ask_upload(ctx: Ctx, record: CaseDocument, prompt: str) -> None:
    await ctx.form_state.set_state(RedlineInput.file)
    await ctx.form_state.set_data({"document_id": record.id})
    cancel = keyboard([[button(ctx.ui.label("labels.cancel"), DocsCB(case_id=record.case_id))]])
    await ctx.ui.reply(prompt, cancel, mb=UPLOAD_MAX_MB)


@router.callback_query(RedlineCB.filter(~F.upload), flags=SENDS_FILE)
async def compare_last(query: CallbackQuery, callback_data: RedlineCB, ctx: Ctx) -> None:
    found = await archive.earlier_contract(ctx.uow, ctx.member, callback_data.document_id)
    if found.previous is None:
        await _ask_upload(ctx, found.current, "contracts.redline_none")
        return
    previous = found.previous
    against = (
        f"{found.previous_year}年度 "
        f"{ctx.ui.label(f'labels.doc_{previous.kind}')} v{previous.version}"
    )
    await _compare(ctx, query.from_user.id, found.current, previous.content, against)


@router.callback_query(RedlineCB.filter(F.upload))
async def ask_upload(query: CallbackQuery, callback_data: RedlineCB, ctx: Ctx) -> None:
    record = await documents.stored(ctx.uow, ctx.member, callback_data.document_id)
    await _ask_upload(ctx, record, "contracts.redline_ask")


@router.message(RedlineInput.file, F.document, flags=SENDS_FILE)
async def got_upload(message: Message, bot: Bot, ctx: Ctx) -> None:
    upload = message.document
    assert upload is not None
    document_id = int((await ctx.form_state.get_data())["document_id"])
    current = await documents.stored(ctx.uow, ctx.member, document_id)
    too_big = (upload.file_size or 0) > UPLOAD_MAX_MB * 1024 * 1024
    if too_big or not (upload.file_name or "").lower().endswith(".docx"):
        await ctx.ui.reply("contracts.redline_not_docx", mb=UPLOAD_MAX_MB)
        return
    buffer = await bot.download(upload)
    assert buffer is not None
    try:
        await _compare(ctx, message.chat.id, current, buffer.read(), upload.file_name or "")
    except Problem as problem:  # stay here: the next file is compared
        await ctx.ui.reply(problem.key, **problem.params)
        return
    await ctx.form_state.clear()


@router.message(RedlineInput.file)
async def not_a_file(message: Message, ctx: Ctx) -> None:
    await ctx.ui.reply("contracts.redline_not_docx", mb=UPLOAD_MAX_MB)


# ----- the signed contract, archived with the case -----
SCAN_MAX_MB = 20  # what a bot may download from Telegram


class SignedInput(StatesGroup):
    file = State()


@instructor.callback_query(ArchiveCB.filter())
async def ask_scan(query: CallbackQuery, callback_data: ArchiveCB, ctx: Ctx) -> None:
    shelf = await documents.versions(ctx.uow, ctx.member, callback_data.case_id)
    if not shelf.archivable:
        raise Problem("documents.not_signed_yet")
    await ctx.form_state.set_state(SignedInput.file)
    await ctx.form_state.set_data({"case_id": callback_data.case_id})
    cancel = keyboard(
        [[button(ctx.ui.label("labels.cancel"), DocsCB(case_id=callback_data.case_id))]]
    )
    await ctx.ui.show("documents.ask_scan", cancel, mb=SCAN_MAX_MB)


@instructor.message(SignedInput.file, F.document | F.photo, flags=SENDS_FILE)
async def got_scan(message: Message, bot: Bot, ctx: Ctx) -> None:
    case_id = int((await ctx.form_state.get_data())["case_id"])
    if message.photo:
        upload: Any = message.photo[-1]
        name = "scan.jpg"
    else:
        upload = message.document
        name = message.document.file_name or "" if message.document else ""
    if (upload.file_size or 0) > SCAN_MAX_MB * 1024 * 1024:
        await ctx.ui.reply("documents.scan_type", mb=SCAN_MAX_MB)
        return
    try:
        content = await bot.download(upload)
        assert content is not None
        record = await archive.archive_signed(
            ctx.uow, ctx.member, case_id, name, content.read(), ctx.now()
        )
    except Problem as problem:  # stay here: the next file is tried
        await ctx.ui.reply(problem.key, mb=SCAN_MAX_MB, **problem.params)
        return
    await ctx.form_state.clear()
    await ctx.ui.reply("documents.archived", version=record.version)
    await show_menu(ctx.ui, message.chat.id, ctx.uow, ctx.member, case_id)


@instructor.message(SignedInput.file)
async def not_a_scan(message: Message, ctx: Ctx) -> None:
    await ctx.ui.reply("documents.scan_type", mb=SCAN_MAX_MB)
