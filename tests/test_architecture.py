"""The shape of the house, checked from the source: imports run one way (handlers → bot/services
→ storage) with no cycles anywhere, the value parsers are leaves, services know nothing of
Telegram, and handlers reach storage only through services (the unit of work they are handed
is committed by the middleware, never read by them)."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("bot", "handlers", "storage")
# Modules that parse one kind of value (text, days and moments, numbers, money) and the
# refusals they raise: they import nothing else of ours.
LEAVES = {
    "bot.services.errors": set(),
    "bot.services.text": {"bot.services.errors"},
    "bot.services.numbers": set(),
    "bot.services.money": {"bot.services.numbers"},
    "bot.services.when": {"bot.services.errors"},
}
# Alembic's environment reads the database address from the settings.
ALLOWED = {("storage.migrations.env", "bot.settings")}


def _modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "versions" in path.parts:
                continue
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def _imports(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """Every module of ours that `name` imports, at the top or inside a function (a lazy
    import hides a cycle, it does not remove it); `if TYPE_CHECKING:` blocks excepted."""
    named: set[str] = set()
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]

    class Visitor(ast.NodeVisitor):
        def visit_If(self, node: ast.If) -> None:
            if "TYPE_CHECKING" in ast.unparse(node.test):
                for child in node.orelse:
                    self.visit(child)
                return
            self.generic_visit(node)

        def visit_Import(self, node: ast.Import) -> None:
            named.update(alias.name for alias in node.names)

        def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
            base = node.module or ""
            if node.level:
                parent = package[: len(package) - (node.level - 1)]
                base = ".".join([*parent, *([base] if base else [])])
            for alias in node.names:
                full = f"{base}.{alias.name}"
                named.add(full if full in modules else base)

    Visitor().visit(ast.parse(path.read_text(encoding="utf-8")))
    ours = set()
    for target in named:
        while target and target not in modules:
            target = target.rpartition(".")[0]
        if target and target != name:
            ours.add(target)
    return ours


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: _imports(name, path, modules) for name, path in modules.items()}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        found.append(sorted(component))
    return found


def test_no_import_cycles() -> None:
    assert _cycles(_graph()) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _cycles(graph) == [["a", "b", "c"]]


def test_imports_run_one_way() -> None:
    wrong = []
    for name, targets in _graph().items():
        for target in targets:
            layer, other = name.split(".")[0], target.split(".")[0]
            if (name, target) in ALLOWED:
                continue
            if layer == "storage" and other != "storage":
                wrong.append(f"{name} → {target}")
            if name.startswith("bot.services") and not (
                target.startswith("bot.services")
                or target.startswith("storage")
                or target in ("bot", "bot.settings", "bot.clock")
            ):
                wrong.append(f"{name} → {target}")
            if layer == "bot" and other == "handlers" and name != "bot.app":
                wrong.append(f"{name} → {target}")
    assert wrong == []


def test_value_parsers_are_leaves() -> None:
    graph = _graph()
    for name, allowed in LEAVES.items():
        assert graph[name] <= allowed, f"{name} imports {graph[name] - allowed}"


def test_services_know_nothing_of_telegram() -> None:
    for path in (ROOT / "bot" / "services").glob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"^\s*(from|import) aiogram", text, re.M), path.name


def test_handlers_never_touch_repositories() -> None:
    """A handler gets what it shows from a service; `uow.<repository>.…` in a handler is a
    service's work done in the wrong layer."""
    reaching = []
    for path in (ROOT / "handlers").glob("*.py"):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if re.search(r"\buow\.(?!commit\b)[a-z_]+\.[a-z_]+\(", line) or "uow.session" in line:
                reaching.append(f"{path.name}:{number}: {line.strip()}")
    assert reaching == []


def test_every_module_imports_alone() -> None:
    """The entry points a process or a test may import first, each in a fresh interpreter
    (where a cycle shows as an ImportError)."""
    firsts = ["bot.services.rounds", "handlers.rounds"]
    for name in firsts:
        done = subprocess.run(
            [sys.executable, "-c", f"import {name}"], cwd=ROOT, capture_output=True, text=True
        )
        assert done.returncode == 0, f"import {name}: {done.stderr[-400:]}"


def test_heavy_libraries_load_on_first_use_not_at_start() -> None:
    """Building the app imports no charting, spreadsheet or Word library: they cost tens of
    MiB each and most processes of a day never draw a chart (issue 21's lighter process).
    Nor, for a bot polling on SQLite, PostgreSQL's dialects (every driver's, 2 MiB), an HTTP
    server or the Mini App (3 MiB): they load with a webhook, PUBLIC_URL or PostgreSQL."""
    import subprocess
    import sys

    probe = (
        "import sys\n"
        "from bot.settings import Settings\n"
        "from bot.app import create_app\n"
        "import bot.cli, bot.runner\n"
        "create_app(Settings(_env_file=None), token='123:abc')\n"
        "heavy = ('matplotlib', 'numpy', 'openpyxl', 'docxtpl', 'docx', 'lxml', 'segno', 'PIL',\n"
        "         'alembic', 'mako', 'pygments', 'redis', 'cryptography',\n"
        "         'sqlalchemy.dialects.postgresql', 'aiohttp.web', 'bot.webapp')\n"
        "print(','.join(m for m in heavy if m in sys.modules))\n"
    )
    found = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120
    )
    assert found.stdout.strip() == "", found.stdout


def test_a_current_schema_is_checked_without_alembic(tmp_path) -> None:
    """Starting on a database already migrated reads its revision with one query: Alembic,
    Mako and Pygments (about 20 MiB) load only when there is something to migrate."""
    import subprocess
    import sys

    url = f"sqlite+aiosqlite:///{tmp_path}/current.db"
    probe = (
        "import asyncio, sys\n"
        "from bot.settings import Settings\n"
        "from bot.app import create_app\n"
        f"app = create_app(Settings(_env_file=None, database_url={url!r}), token='123:abc')\n"
        "asyncio.run(app.ensure_schema())\n"
        "print('alembic' in sys.modules)\n"
    )
    run = [sys.executable, "-c", probe]
    first = subprocess.run(run, capture_output=True, text=True, check=True, timeout=120)
    assert first.stdout.strip().endswith("True")  # an empty database is migrated
    again = subprocess.run(run, capture_output=True, text=True, check=True, timeout=120)
    assert again.stdout.strip().endswith("False"), again.stdout + again.stderr
