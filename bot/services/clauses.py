"""The clause library: model clauses (示范条款) for the comprehensive contract and the three
special contracts, kept as TOML text in templates/clauses/<locale>/ — not in code — so a union
replaces a clause by putting a file of the same name in `CLAUSES_DIR`.

A kind (contract, wage, women, safety) lists its chapters in order, which of them always
appear, and which a case negotiates as topics. A section (a chapter) has one or more variants;
a variant is a list of articles. An article is a Jinja template over the variables in
`_common.toml` (filled from the records and the interview; a value not known yet prints as
【待填：名称】) and may carry `when = ["shift_work", "!piece_rate"]`.

Pure: loading reads files; nothing here touches the database."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import TemplateSyntaxError, Undefined, meta
from jinja2.sandbox import SandboxedEnvironment

from bot.services.errors import Problem

SHIPPED = Path(__file__).resolve().parents[2] / "templates" / "clauses"
KINDS = ("contract", "wage", "women", "safety")
COMMON = "_common"
MARK = "【待填："
_MISSING = re.compile(r"【待填：([^】]*)】")
# What an instructor may type before an article; the contract numbers articles itself.
_NUMBERING = re.compile(
    r"^\s*(第[一二三四五六七八九十百零〇\d]+条|[（(][一二三四五六七八九十\d]+[)）]|\d+\s*[.、．)]"
    r"|[一二三四五六七八九十]+、)\s*"
)


class ClauseError(ValueError):
    """A library file that cannot be used, with the lines saying why."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Article:
    text: str
    when: tuple[str, ...] = ()


@dataclass(frozen=True)
class Variant:
    key: str
    label: str
    articles: tuple[Article, ...]


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    variants: tuple[Variant, ...]

    def variant(self, key: str) -> Variant:
        for found in self.variants:
            if found.key == key:
                return found
        return self.variants[0]


@dataclass(frozen=True)
class Kind:
    key: str
    title: str
    chapters: tuple[str, ...]
    required: frozenset[str]
    negotiable: tuple[str, ...]


@dataclass
class Library:
    kinds: dict[str, Kind]
    sections: dict[str, dict[str, Section]]  # kind → section key → section
    variables: dict[str, str]  # name → what a draft calls it while unknown
    conditions: dict[str, str]
    _compiled: dict[str, Any] = field(default_factory=dict, repr=False)

    def section(self, kind: str, key: str) -> Section | None:
        return self.sections[kind].get(key)

    def negotiable(self, kind: str) -> tuple[str, ...]:
        return self.kinds[kind].negotiable

    def kind_of_topic(self, kind: str, key: str) -> bool:
        return key in self.kinds[kind].negotiable

    def render(self, text: str, values: Mapping[str, Any]) -> str:
        template = self._compiled.get(text)
        if template is None:
            template = _environment(self.variables).from_string(text)
            self._compiled[text] = template
        return str(template.render(**{k: v for k, v in values.items() if v not in ("", None)}))

    def articles(
        self, kind: str, key: str, values: Mapping[str, Any], variant: str = ""
    ) -> list[str]:
        """A section's articles with the values filled in: those whose conditions hold, one
        article per line a multi-line value gives, empty ones left out."""
        section = self.section(kind, key)
        if section is None:
            return []
        out: list[str] = []
        for article in section.variant(variant).articles:
            if holds(article.when, values):
                out += split_articles(self.render(article.text, values))
        return out

    def fill_pending(self, text: str, values: Mapping[str, Any]) -> str:
        """A typed or agreed text's 【待填：名称】 marks, filled where the value is now known
        (a clause started from the model before the pay day was decided)."""
        names = {label: name for name, label in self.variables.items()}

        def fill(found: re.Match[str]) -> str:
            value = values.get(names.get(found.group(1), ""))
            return str(value) if value not in (None, "", False) else found.group(0)

        return _MISSING.sub(fill, text)

    def model_text(self, kind: str, key: str, values: Mapping[str, Any], variant: str) -> str:
        return "\n".join(self.articles(kind, key, values, variant))


def holds(when: Iterable[str], values: Mapping[str, Any]) -> bool:
    for condition in when:
        wanted = not condition.startswith("!")
        if bool(values.get(condition.lstrip("!"))) is not wanted:
            return False
    return True


def split_articles(text: str) -> list[str]:
    """One article per non-empty line, without the numbers a person typed before it."""
    return [_NUMBERING.sub("", line).strip() for line in text.splitlines() if line.strip()]


def missing(text: str) -> list[str]:
    """The names of the values a rendered text still waits for."""
    return _MISSING.findall(text)


def _environment(labels: Mapping[str, str]) -> SandboxedEnvironment:
    class Pending(Undefined):
        """A value not known yet prints as 【待填：label】 in a draft."""

        def __str__(self) -> str:
            name = self._undefined_name or ""
            return f"{MARK}{labels.get(name, name)}】"

    return SandboxedEnvironment(autoescape=False, undefined=Pending, keep_trailing_newline=False)


# ----- loading -----
def _article(raw: Any, where: str, problems: list[str]) -> Article | None:
    if isinstance(raw, str):
        return Article(raw)
    if isinstance(raw, dict) and isinstance(raw.get("text"), str):
        when = raw.get("when", [])
        if not isinstance(when, list) or not all(isinstance(w, str) for w in when):
            problems.append(f"{where}: when must be a list of condition names")
            return None
        extra = set(raw) - {"text", "when"}
        if extra:
            problems.append(f"{where}: unknown keys {', '.join(sorted(extra))}")
        return Article(raw["text"], tuple(when))
    problems.append(f'{where}: an article is a text or {{ text = "…", when = ["…"] }}')
    return None


def _sections(raw: Any, where: str, problems: list[str]) -> dict[str, Section]:
    if not isinstance(raw, dict):
        problems.append(f"{where}: [sections] must be a table")
        return {}
    out = {}
    for key, body in raw.items():
        at = f"{where}: sections.{key}"
        if not isinstance(body, dict) or not isinstance(body.get("title"), str):
            problems.append(f"{at}: needs a title")
            continue
        variants = []
        for index, variant in enumerate(body.get("variants") or []):
            vat = f"{at}.variants[{index}]"
            if not isinstance(variant, dict) or not isinstance(variant.get("articles"), list):
                problems.append(f"{vat}: needs articles = [ … ]")
                continue
            articles = [
                a
                for i, item in enumerate(variant["articles"])
                if (a := _article(item, f"{vat}.articles[{i}]", problems)) is not None
            ]
            variants.append(
                Variant(
                    str(variant.get("key") or f"v{index + 1}"),
                    str(variant.get("label") or variant.get("key") or body["title"]),
                    tuple(articles),
                )
            )
        if not variants:
            problems.append(f"{at}: needs at least one [[…variants]] with articles")
            continue
        out[str(key)] = Section(str(key), body["title"], tuple(variants))
    return out


def _read(path: Path, problems: list[str]) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as error:
        problems.append(f"{path.name}: not valid TOML: {error}")
    except OSError as error:
        problems.append(f"{path.name}: cannot read: {error}")
    return {}


def _names(raw: Any) -> tuple[str, ...]:
    return tuple(str(x) for x in raw) if isinstance(raw, list) else ()


def build(folders: list[Path], problems: list[str]) -> Library:
    """The library from the shipped folder and any override folders after it (a later
    folder's section replaces an earlier one's of the same key; its title, chapters,
    required and negotiable replace the kind's)."""
    raw_kinds: dict[str, dict[str, Any]] = {k: {} for k in KINDS}
    sections: dict[str, dict[str, Section]] = {k: {} for k in KINDS}
    common: dict[str, Section] = {}
    variables: dict[str, str] = {}
    conditions: dict[str, str] = {}
    for number, folder in enumerate(folders):
        for path in sorted(folder.glob("*.toml")):
            name = path.stem
            if name != COMMON and name not in KINDS:
                problems.append(
                    f"{path.name}: unknown file; use {COMMON}.toml or one of "
                    + ", ".join(f"{k}.toml" for k in KINDS)
                )
                continue
            data = _read(path, problems)
            found = _sections(data.get("sections", {}), path.name, problems)
            if name == COMMON:
                common.update(found)
                if number == 0:  # only the shipped library says what the bot provides
                    variables.update(data.get("variables", {}))
                    conditions.update(data.get("conditions", {}))
                continue
            for key in ("title", "chapters", "required", "negotiable"):
                if key in data:
                    raw_kinds[name][key] = data[key]
            sections[name].update(found)
    kinds = {}
    for key in KINDS:
        raw = raw_kinds[key]
        merged = {**common, **sections[key]}
        sections[key] = merged
        kind = Kind(
            key,
            str(raw.get("title", key)),
            _names(raw.get("chapters")),
            frozenset(_names(raw.get("required"))),
            _names(raw.get("negotiable")),
        )
        for listed in ("chapters", "required", "negotiable"):
            for chapter in getattr(kind, listed):
                if chapter not in merged:
                    problems.append(f"{key}.toml: {listed} names '{chapter}', which has no section")
        for chapter in (*kind.required, *kind.negotiable):
            if chapter not in kind.chapters and chapter in merged:
                problems.append(f"{key}.toml: '{chapter}' is not in chapters")
        kinds[key] = kind
    return Library(kinds, sections, variables, conditions)


def _check_texts(library: Library, problems: list[str]) -> None:
    """Unknown variables and conditions, and template syntax, in every article."""
    env = _environment(library.variables)
    known = set(library.variables) | set(library.conditions)
    seen: set[int] = set()  # a shared (_common) section is checked once, not per contract
    for kind, found in library.sections.items():
        for section in found.values():
            if id(section) in seen:
                continue
            seen.add(id(section))
            for variant in section.variants:
                for index, article in enumerate(variant.articles):
                    where = (
                        f"{kind}.toml: sections.{section.key}.variants[{variant.key}]"
                        f".articles[{index}]"
                    )
                    for condition in article.when:
                        if condition.lstrip("!") not in library.conditions:
                            problems.append(f"{where}: unknown condition '{condition}'")
                    try:
                        used = meta.find_undeclared_variables(env.parse(article.text))
                    except TemplateSyntaxError as error:
                        problems.append(f"{where}: {error.message} (line {error.lineno})")
                        continue
                    for name in sorted(used - known):
                        problems.append(f"{where}: unknown variable '{name}'")


def check(folder: Path | None, locale: str = "zh") -> list[str]:
    """Every problem of the library in effect with `folder`'s overrides, one line each."""
    problems: list[str] = []
    folders = [SHIPPED / locale]
    if folder is not None:
        if not folder.is_dir():
            return [f"{folder}: not a folder"]
        folders.append(folder)
    library = build(folders, problems)
    _check_texts(library, problems)
    return list(dict.fromkeys(problems))


@lru_cache(maxsize=8)
def _cached(folder: Path | None, locale: str) -> Library:
    problems: list[str] = []
    folders = [SHIPPED / locale] + ([folder] if folder is not None else [])
    library = build(folders, problems)
    _check_texts(library, problems)
    if problems:
        raise ClauseError(problems)
    return library


def library(folder: Path | None = None, locale: str = "zh") -> Library:
    """The library in effect (shipped, with the union's overrides); contracts are drafted in
    Chinese whatever the chat language, so the locale is zh unless a union ships another.
    A broken override is a Problem naming its first error (`xieshang clauses check` lists
    them all); the shipped library is checked by the tests."""
    try:
        return _cached(folder, locale if (SHIPPED / locale).is_dir() else "zh")
    except ClauseError as error:
        raise Problem(
            "contracts.clauses_broken", error=error.problems[0], more=len(error.problems) - 1
        ) from None
