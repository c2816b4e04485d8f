"""The `xieshang` command line: run the bot, migrate, set up the union tree, make invites."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

import click
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import SystemClock
from bot.services import invites, orgs
from bot.services.errors import Problem
from bot.settings import Settings, load_settings
from storage import migrate
from storage.db import Database
from storage.models import OrgLevel, Role
from storage.uow import UnitOfWork

T = TypeVar("T")

CLI_MESSAGES = {
    "org.bad_name": "The union name must have 1 to {max} characters.",
    "org.duplicate": "A union named {name!r} exists already.",
    "org.unknown_parent": "No union named or numbered {ref!r}.",
}


def _setup_logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if not verbose:
        logging.getLogger("alembic").setLevel(logging.WARNING)
        # Ticks run every few seconds; their every run is not news.
        logging.getLogger("apscheduler.executors.default").setLevel(logging.WARNING)


async def _with_sessions(
    settings: Settings, work: Callable[[async_sessionmaker[AsyncSession]], Awaitable[T]]
) -> T:
    """Run `work` on the database's sessions; migrate first on the embedded default."""
    db = Database(settings.database_url)
    try:
        if db.is_sqlite:
            if not await migrate.is_current(db.engine):
                await migrate.upgrade(db.engine)
        elif not await migrate.is_current(db.engine):
            raise click.ClickException(
                "The database schema is not current: run `xieshang db upgrade`."
            )
        return await work(db.sessions)
    except Problem as problem:
        raise click.ClickException(CLI_MESSAGES[problem.key].format(**problem.params)) from None
    finally:
        await db.dispose()


async def _with_db(settings: Settings, work: Callable[[UnitOfWork], Awaitable[T]]) -> T:
    """Run `work` in one committed unit of work."""

    async def once(sessions: async_sessionmaker[AsyncSession]) -> T:
        async with UnitOfWork(sessions) as uow:
            result = await work(uow)
            await uow.commit()
            return result

    return await _with_sessions(settings, once)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", is_flag=True, help="Log debug details.")
@click.pass_context
def cli(ctx: click.Context, verbose: bool) -> None:
    """Xieshang (协商助手): the assistant for collective bargaining instructors."""
    _setup_logging(verbose)
    ctx.obj = load_settings()


@cli.command()
@click.pass_obj
def run(settings: Settings) -> None:
    """Run the bot: long polling, or a webhook server when WEBHOOK_URL is set.

    Without BOT_TOKEN it runs the local playground instead.
    """
    if settings.bot_token is None:
        click.echo(
            "BOT_TOKEN is not set, so this is the local playground. To run on Telegram, create "
            "a bot with @BotFather and put BOT_TOKEN=<token> in .env (see .env.example)."
        )
        _playground(settings, "127.0.0.1", 8080)
        return
    from bot.app import create_app

    async def main() -> None:
        app = create_app(settings)
        try:
            if settings.webhook_url:
                from bot.webhook import run_webhook

                await run_webhook(app)
            else:
                from bot.runner import run_polling

                await run_polling(app)
        finally:
            await app.close()

    asyncio.run(main())


def _playground(settings: Settings, host: str, port: int, province: bool = False) -> None:
    from bot.playground import run_playground

    asyncio.run(run_playground(settings, host, port, province=province))


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8080, show_default=True, type=click.IntRange(1, 65535))
@click.option(
    "--province", is_flag=True, help="Seed the province data set (on a new playground database)."
)
@click.pass_obj
def playground(settings: Settings, host: str, port: int, province: bool) -> None:
    """Chat with the real bot in a browser, on a local Bot API emulator and demo data."""
    _playground(settings, host, port, province)


@cli.group()
def demo() -> None:
    """Demo data."""


@demo.command("seed")
@click.option(
    "--province",
    is_flag=True,
    help="A province union (liaison 1000), 15 cities, 100 counties, 300 instructors, 6,000 "
    "cases with their meetings and topics, 50 surveys and a year of work, around the demo.",
)
@click.pass_obj
def demo_seed(settings: Settings, province: bool) -> None:
    """Create the demo unions, liaison and instructors on an empty database."""
    from bot.services import demo as demo_data

    if province:
        _seed_province(settings)
        return

    async def work(uow: UnitOfWork) -> bool:
        return await demo_data.seed(uow, SystemClock().now(), settings)

    created = asyncio.run(_with_db(settings, work))
    click.echo("demo data created" if created else "the database has data already; nothing done")


def _seed_province(settings: Settings) -> None:
    from bot.services.province import seed_province

    started = time.monotonic()

    async def work(sessions: async_sessionmaker[AsyncSession]) -> object:
        return await seed_province(
            sessions, SystemClock().now(), settings, progress=lambda line: click.echo(line)
        )

    # The planner's statistics are made when the bot starts (bot/app.py ensure_schema).

    counts = asyncio.run(_with_sessions(settings, work))
    if counts is None:
        click.echo("the database has data already; nothing done")
        return
    click.echo(f"province data set created in {time.monotonic() - started:.0f} s: {counts}")


@cli.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True)
@click.pass_obj
def db_upgrade(settings: Settings, revision: str) -> None:
    """Apply migrations up to REVISION."""

    async def main() -> str | None:
        database = Database(settings.database_url)
        try:
            await migrate.upgrade(database.engine, revision)
            return await migrate.current(database.engine)
        finally:
            await database.dispose()

    click.echo(f"schema at revision {asyncio.run(main())}")


@cli.group()
def org() -> None:
    """The union tree."""


@org.command("add")
@click.argument("name")
@click.option("--level", type=click.Choice([level.value for level in OrgLevel]), required=True)
@click.option("--parent", default=None, help="Parent union, by name or id.")
@click.pass_obj
def org_add(settings: Settings, name: str, level: str, parent: str | None) -> None:
    """Add the union NAME."""

    async def work(uow: UnitOfWork) -> str:
        added = await orgs.add_org(uow, name, OrgLevel(level), parent, SystemClock().now())
        return f"{added.id}\t{added.name}\t{added.level.value}"

    click.echo(asyncio.run(_with_db(settings, work)))


@org.command("list")
@click.pass_obj
def org_list(settings: Settings) -> None:
    """List the union tree."""

    async def work(uow: UnitOfWork) -> list[str]:
        return [
            f"{'  ' * (o.path.count('/') - 2)}{o.id}\t{o.name}\t{o.level.value}"
            for o in await uow.orgs.all()
        ]

    for line in asyncio.run(_with_db(settings, work)):
        click.echo(line)


@cli.command()
@click.option("--org", "org_ref", required=True, help="The union, by name or id.")
@click.option("--role", type=click.Choice([role.value for role in Role]), required=True)
@click.pass_obj
def invite(settings: Settings, org_ref: str, role: str) -> None:
    """Make a single-use invite; the code is printed alone on the last line."""

    async def work(uow: UnitOfWork) -> invites.NewInvite:
        found = await orgs.resolve(uow, org_ref)
        if found is None:
            raise click.ClickException(f"No union named or numbered {org_ref!r}.")
        return await invites.create(uow, found, Role(role), SystemClock().now(), settings)

    made = asyncio.run(_with_db(settings, work))
    expires = f"{made.invite.expires_at:%Y-%m-%d %H:%M} UTC"
    click.echo(f"{made.invite.role.value} of {made.org.name}, valid until {expires}")
    click.echo(f"The person opens t.me/<bot>?start={made.code} or sends /start {made.code}")
    click.echo(made.code)


@cli.group()
def templates() -> None:
    """Word templates."""


@templates.command("check")
@click.argument("path", required=False, type=click.Path(exists=True, path_type=Path))
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("data/template-samples"),
    show_default=True,
    help="Where the rendered samples go.",
)
@click.option("--pdf", is_flag=True, help="Also print each sample to PDF with LibreOffice.")
@click.pass_obj
def templates_check(settings: Settings, path: Path | None, out: Path, pdf: bool) -> None:
    """Check Word templates (PATH: a .docx or a folder; default: those in use)."""
    from bot import template_check
    from bot.presentation.pdf import PdfConverter, find_office

    printer = PdfConverter(find_office(settings.libreoffice), 1)
    if pdf and not printer.available:
        raise click.ClickException("--pdf needs LibreOffice (soffice on PATH, or LIBREOFFICE=)")

    found = template_check.templates_in(path, settings)
    if not found:
        raise click.ClickException(f"no .docx templates in {path}")
    out.mkdir(parents=True, exist_ok=True)
    now = SystemClock().now()
    contexts = asyncio.run(template_check.demo_contexts(settings, now))
    failed = 0
    for template in found:
        finding = template_check.check_file(template, contexts, out)
        if finding.ok and pdf and finding.sample is not None:
            printed = finding.sample.with_suffix(".pdf")
            printed.write_bytes(asyncio.run(printer.convert(finding.sample.read_bytes())))
            click.echo(f"ok     {template} → {printed}")
            continue
        if finding.ok:
            click.echo(f"ok     {template} → {finding.sample}")
            continue
        failed += 1
        if finding.unknown:
            click.echo(f"error  {template}: unknown variables: {', '.join(finding.unknown)}")
        if finding.error:
            click.echo(f"error  {template}: {finding.error}")
    if failed:
        raise click.ClickException(f"{failed} of {len(found)} templates have errors")
    click.echo(f"all {len(found)} templates render; samples in {out}")


@cli.group()
def clauses() -> None:
    """The clause library (model clauses of the contracts)."""


@clauses.command("check")
@click.argument(
    "folder", required=False, type=click.Path(exists=True, file_okay=False, path_type=Path)
)
@click.pass_obj
def clauses_check(settings: Settings, folder: Path | None) -> None:
    """Check a union's clause overrides (FOLDER; default: CLAUSES_DIR) with the shipped
    library: unknown files, sections, variables and conditions, TOML and template errors."""
    from bot.services import clauses as library

    folder = folder or settings.clauses_dir
    problems = library.check(folder)
    for problem in problems:
        click.echo(f"error  {problem}")
    if problems:
        raise click.ClickException(f"{len(problems)} problems in the clause library")
    found = library.build([p for p in (library.SHIPPED / "zh", folder) if p], [])
    sections = sum(len(s) for s in found.sections.values())
    overridden = f" with the overrides in {folder}" if folder else ""
    kinds = len(found.kinds)
    click.echo(f"ok     the clause library{overridden}: {sections} sections in {kinds} contracts")


def main() -> None:
    cli()
