"""Every user-facing text is a Jinja2 block addressed by key.

Key `profile.ask_name` is block `ask_name` of `templates/messages/<locale>/profile.j2`.
`text()` renders for Telegram's HTML parse mode with autoescape on, so user data can never
inject markup; `label()` renders plain text for buttons and command menus, which Telegram
does not parse.
"""

from __future__ import annotations

import hashlib
import logging
import re
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemBytecodeCache, FileSystemLoader, StrictUndefined, nodes
from jinja2.bccache import Bucket
from jinja2.runtime import new_context
from jinja2.sandbox import ImmutableSandboxedEnvironment

from bot.services.money import plain
from bot.settings import LOCALES

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
MESSAGE_LIMIT = 4096
CAPTION_LIMIT = 1024


log = logging.getLogger(__name__)


class MissingText(LookupError):
    pass


class _CompiledTemplates(FileSystemBytecodeCache):
    """Jinja2's compiled templates kept on disk between starts (checked against each
    template's source, written whole or not at all). Compiling `labels.j2` at start left
    about 17 MiB of the C heap fragmented for good; loading its code leaves nearly none, and
    a first reply after a restart skips the compiler. A cache that cannot be written (a full
    disk, a read-only folder) costs a compile, never a reply.

    Jinja2 keys a template's code by its name alone, but the code differs with the
    environment that compiled it: the HTML environment's code escapes what it prints, the
    plain one's does not, and whitespace control changes the text. The key holds every
    option that shapes the code, or a label's code would print a worker's `<b>` unescaped
    in a message (or an edited option would go unseen until the template changed)."""

    def __init__(self, folder: str, environment: Environment) -> None:
        super().__init__(folder)
        options = (
            type(environment).__name__,
            environment.autoescape,
            environment.trim_blocks,
            environment.lstrip_blocks,
            environment.keep_trailing_newline,
            environment.newline_sequence,
            environment.block_start_string,
            environment.variable_start_string,
            environment.comment_start_string,
            environment.optimized,
            sorted(environment.extensions),
        )
        self.kind = hashlib.sha256(repr(options).encode()).hexdigest()[:16]

    def get_cache_key(self, name: str, filename: str | None = None) -> str:
        return super().get_cache_key(f"{self.kind}:{name}", filename)

    def dump_bytecode(self, bucket: Bucket) -> None:
        try:
            super().dump_bytecode(bucket)
        except OSError as problem:
            log.warning("template cache not written: %s", problem)


def compiled_templates(enabled: bool, folder: Path | None) -> str | None:
    """The folder for compiled message templates: `folder` (made private to this user), or
    Jinja2's own private folder under the system's temporary directory; None when turned
    off or when no such folder can be had."""
    if not enabled:
        return None
    try:
        if folder is None:
            return FileSystemBytecodeCache().directory  # made and checked by Jinja2
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        return str(folder)
    except (OSError, RuntimeError) as problem:  # RuntimeError: Jinja2's folder is unsafe
        log.warning("templates compiled at each start: no cache folder (%s)", problem)
        return None


def bar(value: float, top: float, width: int = 10) -> str:
    """A bar drawn in characters, `width` cells for `top`: ▇▇▇▍ (eighths for the tail)."""
    if top <= 0 or value <= 0:
        return "▏"
    eighths = round(value / top * width * 8)
    return "█" * (eighths // 8) + ("", "▏", "▎", "▍", "▌", "▋", "▊", "▉")[eighths % 8] or "▏"


def number(value: float | None) -> str:
    """1.0 → '1', 2.5 → '2.5', None → '—'."""
    if value is None:
        return "—"
    return f"{value:.1f}".removesuffix(".0")


def amount(value: Decimal | float | None) -> str:
    """An exact amount as people write it: 12000.00 → '12000', 35.50 → '35.5'."""
    return "—" if value is None else plain(value)


class Renderer:
    def __init__(
        self,
        zone: ZoneInfo,
        default_locale: str = "zh",
        root: Path = TEMPLATES / "messages",
        template_cache: str | None = None,
    ) -> None:
        self.root = root
        self.template_cache = template_cache
        self.zone = zone
        self.default_locale = default_locale
        self._html = self._environment(autoescape=True)
        self._plain = self._environment(autoescape=False)

    def _environment(self, autoescape: bool) -> ImmutableSandboxedEnvironment:
        env = ImmutableSandboxedEnvironment(
            loader=FileSystemLoader(self.root),
            autoescape=autoescape,
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=False,
        )
        if self.template_cache:
            env.bytecode_cache = _CompiledTemplates(self.template_cache, env)
        env.filters["dt"] = self.format_datetime
        env.filters["d"] = self.format_date
        env.filters["bar"] = bar
        env.filters["num"] = number
        env.filters["amount"] = amount
        return env

    @staticmethod
    def _moment(value: datetime | date | str | None) -> datetime | date | str | None:
        """A stored ISO string read back as a moment or day; anything else as it is."""
        if isinstance(value, str) and value:
            try:
                return datetime.fromisoformat(value)
            except ValueError:
                return value
        return value

    def format_datetime(self, value: datetime | date | str | None) -> str:
        """A moment as people read it: in the bot's zone, to the minute; a stored ISO
        string too (a moment kept in a form)."""
        value = self._moment(value)
        if value is None or value == "":
            return "—"
        if isinstance(value, str):
            return value
        if not isinstance(value, datetime):
            return value.isoformat()
        if value.tzinfo is None:
            return value.strftime("%Y-%m-%d %H:%M")
        return value.astimezone(self.zone).strftime("%Y-%m-%d %H:%M")

    def format_date(self, value: datetime | date | str | None) -> str:
        """A day as people read it; a moment (or its ISO string) is first put in the bot's
        zone, so a work-file entry never shows '2026-11-28T03:26:03.841143+00:00'."""
        value = self._moment(value)
        if value is None or value == "":
            return "—"
        if isinstance(value, str):
            return value
        if isinstance(value, datetime):
            if value.tzinfo is not None:
                value = value.astimezone(self.zone)
            return value.date().isoformat()
        return value.isoformat()

    def locale(self, locale: str | None) -> str:
        return locale if locale in LOCALES else self.default_locale

    def text(self, locale: str | None, key: str, **context: Any) -> str:
        return self._render(self._html, locale, key, context)

    def label(self, locale: str | None, key: str, **context: Any) -> str:
        return self._render(self._plain, locale, key, context)

    def _render(
        self,
        env: ImmutableSandboxedEnvironment,
        locale: str | None,
        key: str,
        context: dict[str, Any],
    ) -> str:
        module, _, block = key.partition(".")
        template = env.get_template(f"{self.locale(locale)}/{module}.j2")
        render = template.blocks.get(block)
        if render is None:
            raise MissingText(f"no text {key!r} in locale {self.locale(locale)!r}")
        # A context holding just this block: template.new_context() would copy every block
        # of the file, and labels.j2 has hundreds.
        ctx = new_context(
            env,
            template.name,
            {block: render},
            {"locale": self.locale(locale), **context},
            globals=template.globals,
        )
        return str(env.concat(render(ctx))).strip()

    def keys(self, locale: str) -> set[str]:
        """Every key a locale defines (for the locale completeness test)."""
        found: set[str] = set()
        for path in sorted((self.root / locale).glob("*.j2")):
            parsed = self._plain.parse(path.read_text(encoding="utf-8"))
            found |= {f"{path.stem}.{b.name}" for b in parsed.find_all(nodes.Block)}
        return found


_TAG = re.compile(r"<(/?)([a-zA-Z-]+)[^>]*>")


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def split_html(text: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    """Split an HTML message into parts of at most `limit` UTF-16 units.

    Cuts at line breaks where it can, else at spaces, else anywhere outside a tag or an
    entity; tags open at a cut are closed before it and reopened after it.
    """
    if utf16_len(text) <= limit:
        return [text]
    parts: list[str] = []
    open_tags: list[tuple[str, str]] = []  # (name, full opening tag) still open at a cut
    rest = text
    while rest:
        prefix = "".join(tag for _, tag in open_tags)
        if utf16_len(prefix + rest) <= limit:
            parts.append(prefix + rest)
            break
        # Leave room for the closing tags this part may need.
        cut = _cut_point(rest, max(limit - utf16_len(prefix) - 128, 64))
        chunk, rest = rest[:cut], rest[cut:].lstrip("\n")
        open_tags = _track_tags(chunk, open_tags)
        closing = "".join(f"</{name}>" for name, _ in reversed(open_tags))
        parts.append(prefix + chunk + closing)
    return [p for p in parts if p.strip()]


def _cut_point(text: str, budget: int) -> int:
    # Never cut inside a tag or an entity: find the last safe index within budget.
    limit = 0
    units = 0
    for index, char in enumerate(text):
        units += 2 if ord(char) > 0xFFFF else 1
        if units > budget:
            break
        limit = index + 1
    window = text[:limit]
    for separator in ("\n", " "):
        position = window.rfind(separator)
        if position > limit // 2 and _safe(text, position):
            return position + 1
    position = limit
    while position > 0 and not _safe(text, position):
        position -= 1
    return position or limit


def _safe(text: str, position: int) -> bool:
    before = text[:position]
    return before.rfind("<") <= before.rfind(">") and before.rfind("&") <= before.rfind(";")


def _track_tags(chunk: str, open_tags: list[tuple[str, str]]) -> list[tuple[str, str]]:
    tags = list(open_tags)
    for match in _TAG.finditer(chunk):
        closing, name = match.group(1), match.group(2).lower()
        if closing:
            for i in range(len(tags) - 1, -1, -1):
                if tags[i][0] == name:
                    del tags[i]
                    break
        else:
            tags.append((name, match.group(0)))
    return tags
