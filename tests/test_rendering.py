"""Texts: every key in every locale, every key the code uses exists, escaping, splitting."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.emulator.html import parse
from bot.presentation.rendering import Renderer, split_html, utf16_len
from bot.settings import LOCALES

ROOT = Path(__file__).resolve().parent.parent
renderer = Renderer(ZoneInfo("Asia/Shanghai"))


def test_every_locale_has_every_key():
    keys = {locale: renderer.keys(locale) for locale in LOCALES}
    union = set().union(*keys.values())
    for locale, found in keys.items():
        assert union - found == set(), f"{locale} misses {sorted(union - found)}"


def test_every_key_used_in_code_exists():
    modules = {p.stem for p in (ROOT / "templates/messages/zh").glob("*.j2")}
    names = "|".join(modules)
    pattern = re.compile(rf"[\"']({names})\.([a-z_]*[a-z])[\"']")
    used: set[str] = set()
    for folder in ("bot", "handlers"):
        for path in (ROOT / folder).rglob("*.py"):
            used |= {f"{m}.{k}" for m, k in pattern.findall(path.read_text(encoding="utf-8"))}
    # Keys composed at run time: labels.role_*, labels.route_*, labels.status_*, ...
    assert used, "the scan found no keys"
    missing = used - renderer.keys("zh")
    assert missing == set()


@pytest.mark.parametrize("locale", LOCALES)
def test_user_text_is_escaped(locale):
    html = renderer.text(locale, "common.already_bound", role="<b>x</b>", org="A & <i>B")
    parsed = parse(html)
    assert "<b>x</b>" in parsed.text
    assert "A & <i>B" in parsed.text


def test_keys_composed_at_run_time_exist():
    from bot.services.invites import InviteState
    from bot.services.profiles import FIELDS
    from storage.models import HiringRoute, OrgLevel, ProfileStatus, Role

    composed = (
        {f"labels.role_{r.value}" for r in Role}
        | {f"labels.route_{r.value}" for r in HiringRoute}
        | {f"labels.status_{s.value}" for s in ProfileStatus}
        | {f"labels.level_{level.value}" for level in OrgLevel}
        | {f"labels.field_{f}" for f in FIELDS}
        | {f"profile.ask_{f}" for f in FIELDS}
        | {f"onboarding.{s.value}" for s in InviteState if s is not InviteState.usable}
        | {"onboarding.invalid"}
    )
    for locale in LOCALES:
        assert composed - renderer.keys(locale) == set()


def test_labels_are_plain():
    assert renderer.label("zh", "labels.role_liaison") == "联络员"


def test_split_keeps_each_part_valid_and_within_limit():
    text = "\n".join(f"<b>第{i}行</b> <i>说明 &amp; 内容</i> " + "字" * 50 for i in range(300))
    parts = split_html(text)
    assert len(parts) > 1
    for part in parts:
        assert utf16_len(part) <= 4096
        parse(part)


@settings(max_examples=60, deadline=None)
@given(st.text(min_size=1, max_size=12_000))
def test_split_any_escaped_user_text(raw):
    from markupsafe import escape

    html = f"<b>标题</b>\n{escape(raw)}"
    parts = split_html(html)
    joined = ""
    for part in parts:
        assert utf16_len(part) <= 4096
        joined += parse(part).text
    assert joined.replace("\n", "").replace(" ", "") == parse(html).text.replace("\n", "").replace(
        " ", ""
    )


def test_every_stored_enum_has_a_label_in_every_locale():
    """Each StrEnum the database stores has its label prefix (bot/presentation/enum_labels.py),
    and every member its label in every locale: a new status cannot reach a screen unnamed."""
    from enum import StrEnum

    import storage.models
    from bot.presentation import enum_labels

    stored = {
        value
        for value in vars(storage.models).values()
        if isinstance(value, type) and issubclass(value, StrEnum) and value is not StrEnum
    }
    assert stored - set(enum_labels.PREFIXES) == set(), "enums without a label prefix"
    for locale in LOCALES:
        keys = renderer.keys(locale)
        missing = {enum_labels.key(m) for enum in stored for m in enum} - keys
        assert missing == set(), f"{locale} misses {sorted(missing)}"


def test_compiled_templates_are_kept_between_starts_and_checked_against_their_source(
    tmp_path: Path,
) -> None:
    """A second start loads labels.j2's code from the cache (no compile: the compile left
    17 MiB of the heap fragmented); an edited template is compiled again, never served
    stale; a folder that cannot be written costs a compile, never a reply."""
    from bot.presentation.rendering import compiled_templates

    assert compiled_templates(False, tmp_path / "off") is None
    root = tmp_path / "messages"
    (root / "zh").mkdir(parents=True)
    source = root / "zh" / "labels.j2"
    source.write_text("{% block hello %}你好，{{ name }}{% endblock %}", encoding="utf-8")
    folder = tmp_path / "cache"

    def started() -> Renderer:
        cache = compiled_templates(True, folder)
        assert cache == str(folder)
        return Renderer(ZoneInfo("Asia/Shanghai"), root=root, template_cache=cache)

    first = started()
    assert first.label("zh", "labels.hello", name="<王芳>") == "你好，<王芳>"
    # The HTML environment never takes the plain one's code: it would not escape.
    assert first.text("zh", "labels.hello", name="<b>") == "你好，&lt;b&gt;"
    assert len(list(folder.iterdir())) == 2  # the plain and the HTML environment's code
    assert folder.stat().st_mode & 0o077 == 0  # private to the bot's user
    again = started()
    compiled: list[str] = []
    real = again._plain.compile

    def counting(*args: Any, **kwargs: Any) -> Any:
        compiled.append("labels")
        return real(*args, **kwargs)

    again._plain.compile = counting  # type: ignore[method-assign]
    assert again.label("zh", "labels.hello", name="李明") == "你好，李明"
    assert again.text("zh", "labels.hello", name="<b>") == "你好，&lt;b&gt;"
    assert compiled == []  # loaded, not compiled
    source.write_text("{% block hello %}您好，{{ name }}{% endblock %}", encoding="utf-8")
    assert started().label("zh", "labels.hello", name="李明") == "您好，李明"

    # Code compiled under other options (whitespace control here) is never taken.
    from jinja2 import Environment

    from bot.presentation.rendering import _CompiledTemplates

    trimmed, kept = Environment(trim_blocks=True), Environment(trim_blocks=False)
    assert _CompiledTemplates(str(folder), trimmed).get_cache_key("zh/labels.j2") != (
        _CompiledTemplates(str(folder), kept).get_cache_key("zh/labels.j2")
    )

    folder.chmod(0o500)  # read-only: nothing can be written there
    try:
        source.write_text("{% block hello %}早上好{% endblock %}", encoding="utf-8")
        assert started().label("zh", "labels.hello") == "早上好"
    finally:
        folder.chmod(0o700)
