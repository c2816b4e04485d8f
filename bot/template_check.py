"""`xieshang templates check`: is a union's own Word template safe to use? It lists the
variables a template uses that the bot does not provide (a typo prints nothing in Word, so
it is an error here), renders every template with the demo data, and keeps the samples."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from docxtpl import DocxTemplate
from jinja2 import TemplateError
from sqlmodel import select

from bot.presentation import document_views
from bot.presentation.rendering import Renderer
from bot.presentation.word import SHIPPED, environment, render_file
from bot.services import demo, documents
from bot.settings import Settings
from storage import migrate
from storage.db import Database
from storage.models import BargainingCase, User
from storage.uow import UnitOfWork

POSTER_VARIABLES = frozenset(
    {"union", "heading", "enterprise", "question", "qr", "scan", "link", "closes", "privacy"}
)
SLIPS_VARIABLES = frozenset({"enterprise", "motion", "total", "slips"})
OWN_VARIABLES = {  # templates not tied to a case, with their own variables
    "survey_poster": POSTER_VARIABLES,
    "congress_slips": SLIPS_VARIABLES,
    "assessment": document_views.ASSESSMENT_VARIABLES,
}
SAMPLE = {
    "text": "示例 & <内容>",
    "long": "示例第一行 & <内容>\n示例第二行",
    "int": "3",
    "day": "15",
    "years": "2",
    "percent": "6.5",
    "money": "4800",
}


@dataclass
class Finding:
    path: Path
    unknown: list[str]
    error: str | None = None
    sample: Path | None = None

    @property
    def ok(self) -> bool:
        return not self.unknown and self.error is None


# What a union office would type, so a sample prints as a real draft (the escaping of odd
# characters is the tests' business).
REALISTIC = {
    "legal_rep": "张建国",
    "economic_type": "有限责任公司",
    "union_name": "光谷电子有限公司工会",
    "how_chosen": "职工代表大会民主选举",
    "last_year_avg": "6500",
    "enterprise_min_wage": "2400",
    "pay_day": "15",
    "overtime_base": "职工本人上月基本工资",
    "maternity_extra_days": "30",
    "health_check": "每年组织一次妇科和乳腺疾病检查，费用由甲方承担",
    "special_items": "每年三八国际妇女节女职工放假半天，工资照发。",
    "safety_items": "甲方每季度组织一次安全隐患排查，排查结果向乙方通报。",
    "protective_equipment": "防静电工作服、防护手套和护目镜",
    "shift_work": "yes",
    "piece_rate": "no",
    "edition": "draft",
}


def sample_answers(kind: str, now: datetime, settings: Settings) -> dict[str, str]:
    answers = {}
    for ask in documents.ASKS[kind]:
        if kind in documents.CONTRACTS and ask.name in REALISTIC:
            answers[ask.name] = REALISTIC[ask.name]
        elif ask.kind == "date":
            answers[ask.name] = now.date().isoformat()
        elif ask.kind == "datetime":
            answers[ask.name] = (now + timedelta(days=7)).isoformat()
        elif ask.kind == "choice":
            answers[ask.name] = ask.choices[0]
        else:
            answers[ask.name] = SAMPLE[ask.kind]
    answers["round_no"] = "1"
    answers["term_years"] = "1" if kind == "wage" else "2"
    answers["rise_pct"], answers["frontline_rise_pct"] = "6", "7"
    return answers


async def demo_contexts(settings: Settings, now: datetime) -> dict[str, dict[str, Any]]:
    """Each document type's variables, built from the demo data in a scratch database."""
    with tempfile.TemporaryDirectory() as folder:
        db = Database(f"sqlite+aiosqlite:///{folder}/sample.db")
        try:
            await migrate.upgrade(db.engine)
            async with UnitOfWork(db.sessions) as uow:
                await demo.seed(uow, now, settings)
                await uow.commit()
            async with UnitOfWork(db.sessions) as uow:
                case = (await uow.session.execute(select(BargainingCase))).scalars().first()
                assert case is not None
                if case.congress_total is None:  # the resolution prints a counted vote
                    case.congress_total, case.congress_present, case.congress_yes = 60, 52, 47
                    case.congress_passed = True
                owner = await uow.session.get(User, case.owner_id)
                assert owner is not None
                facts = await documents.gather(uow, owner, case.id or 0, now, settings)
                renderer = Renderer(settings.zone, "zh")
                return {
                    kind: document_views.context(
                        kind, facts, sample_answers(kind, now, settings), renderer, settings, now
                    )
                    for kind in documents.KINDS
                }
        finally:
            await db.dispose()


def _sample(names: frozenset[str]) -> dict[str, Any]:
    """Sample values for a template's own variables (a list for `rows`, empty images)."""
    values: dict[str, Any] = {name: f"示例{name}" for name in names}
    values["qr"] = ""
    values["rows"] = [{"label": "示例 & <指标>", "value": 3, "score": 75.0}]
    values["slips"] = [
        {
            "number": n,
            "qr": "",
            "link": f"https://t.me/xieshang_bot?start=cg_{n:022d}",
            "present": "",
        }
        for n in (1, 2)
    ]
    return values


def check_file(path: Path, contexts: dict[str, dict[str, Any]], out: Path) -> Finding:
    kind = path.stem
    if kind not in contexts and kind not in OWN_VARIABLES:
        known = ", ".join((*documents.KINDS, *OWN_VARIABLES))
        return Finding(path, [], f"unknown template name; use one of: {known}")
    known_names = OWN_VARIABLES.get(kind, document_views.VARIABLES)
    try:
        used = DocxTemplate(path).get_undeclared_template_variables(environment())
    except (TemplateError, ValueError, KeyError) as error:
        return Finding(path, [], f"cannot read the template: {error}")
    finding = Finding(path, sorted(set(used) - known_names))
    context = contexts.get(kind) or _sample(OWN_VARIABLES[kind])
    try:
        sample = out / f"{kind}-sample.docx"
        sample.write_bytes(render_file(path, context))
        finding.sample = sample
    except (TemplateError, ValueError, KeyError, TypeError) as error:
        finding.error = f"{type(error).__name__}: {error}"
    return finding


def templates_in(target: Path | None, settings: Settings) -> list[Path]:
    """The given file, the .docx files of the given folder, or the templates in effect."""
    if target is not None and target.is_file():
        return [target]
    if target is not None:
        return sorted(target.glob("*.docx"))
    folders = [p for p in (settings.documents_dir, SHIPPED) if p is not None]
    chosen: dict[str, Path] = {}
    for folder in reversed(folders):
        for path in folder.glob("*.docx"):
            chosen[path.stem] = path
    return sorted(chosen.values())
