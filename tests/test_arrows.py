"""The rooms' one-way arrows (DESIGN.md), checked twice: every import statement read from the source (those
inside functions and `if TYPE_CHECKING:` blocks too), and every module imported alone in a fresh process
(what it pulls in at run time, transitively)."""
from __future__ import annotations

import ast
import json
import pkgutil
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ["bot", "commands", "pool", "providers", "reports", "bench"]

# The platform packages see only the spine: not the assembly around them, not the benchmarks, not each other.
PLATFORMS = ("bot.adapters.slack", "bot.adapters.discord", "bot.adapters.github", "bot.adapters.console")
ASSEMBLY = ("bot.app", "bot.runner", "bot.cli", "bot.worker", "bot.scheduler", "bot.http", "bot.server", "bot.repl",
            "bot.check", "bench")

# importer (a room, package or module, and everything under it) → what it must not import (with everything under it)
FORBIDDEN: dict[str, tuple[str, ...]] = {
    "pool": ("bot", "commands", "bench"),
    "providers": ("bot", "commands", "bench"),
    "reports": ("bot", "commands", "bench"),
    "commands": ("bot", "bench", "slack_bolt", "slack_sdk", "discord", "githubkit"),
    "bot": ("bench",),
    **{p: ASSEMBLY + tuple(other for other in PLATFORMS if other != p) for p in PLATFORMS},
}
# importer → the forbidden targets it alone may import: the CLI's `bench` subcommand runs the benchmarks
ALLOWED: dict[str, tuple[str, ...]] = {
    "bot.cli": ("bench",),
}


def _under(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def _rules(importer: str, target: str) -> list[str]:
    """The FORBIDDEN keys whose rule this edge breaks."""
    if any(_under(importer, k) and any(_under(target, t) for t in v) for k, v in ALLOWED.items()):
        return []
    return [k for k, banned in FORBIDDEN.items() if _under(importer, k) and any(_under(target, t) for t in banned)]


# -- the static scan ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Edge:
    importer: str
    target: str
    where: str  # path:line
    how: str  # "module level", "in a function", "TYPE_CHECKING", "import_module()"

    def __str__(self) -> str:
        return f"{self.where}: {self.importer} imports {self.target} ({self.how})"


class _Imports(ast.NodeVisitor):
    """Every import in one module, with where it sits; relative imports resolved against `package`."""

    def __init__(self, module: str, package: str, path: str) -> None:
        self.module, self.package, self.path = module, package, path
        self.edges: list[Edge] = []
        self._functions = 0
        self._type_checking = 0

    def _how(self) -> str:
        return "TYPE_CHECKING" if self._type_checking else "in a function" if self._functions else "module level"

    def _add(self, target: str, node: ast.AST, how: str | None = None) -> None:
        self.edges.append(Edge(self.module, target, f"{self.path}:{getattr(node, 'lineno', 0)}", how or self._how()))

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        self._functions += 1
        self.generic_visit(node)
        self._functions -= 1

    visit_AsyncFunctionDef = visit_FunctionDef  # type: ignore[assignment]

    def visit_If(self, node: ast.If) -> None:
        test = node.test
        guarded = (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
            isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
        )
        self.visit(test)
        self._type_checking += guarded
        for child in node.body:
            self.visit(child)
        self._type_checking -= guarded
        for child in node.orelse:
            self.visit(child)

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self._add(alias.name, node)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.level:
            parts = self.package.split(".")
            base = ".".join(parts[: len(parts) - node.level + 1])
            source = f"{base}.{node.module}" if node.module else base
        else:
            source = node.module or ""
        self._add(source, node)
        for alias in node.names:  # `from bot import app` imports the module bot.app
            if alias.name != "*":
                self._add(f"{source}.{alias.name}", node)

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
        if name in ("import_module", "__import__") and node.args:
            arg = node.args[0]
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str) and not arg.value.startswith("."):
                self._add(arg.value, node, "import_module()")
        self.generic_visit(node)


def imports_in(source: str, module: str, *, is_package: bool = False, path: str = "<source>") -> list[Edge]:
    visitor = _Imports(module, module if is_package else module.rpartition(".")[0], path)
    visitor.visit(ast.parse(source, filename=path))
    return visitor.edges


def _source_files() -> Iterator[tuple[str, Path]]:
    for pkg in PACKAGES:
        for path in sorted((ROOT / pkg).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            yield ".".join(parts), path


def all_edges() -> list[Edge]:
    edges = []
    for module, path in _source_files():
        rel = str(path.relative_to(ROOT))
        edges += imports_in(path.read_text(), module, is_package=path.name == "__init__.py", path=rel)
    return edges


EDGES = all_edges()  # ~200 files parsed once, well under a second


def _violations(platform_rules: bool) -> list[str]:
    found: dict[tuple[str, str], Edge] = {}  # one line per statement and rule: `from x import y` names x and x.y
    for edge in EDGES:
        for rule in _rules(edge.importer, edge.target):
            if (rule in PLATFORMS) == platform_rules:
                seen = found.get((edge.where, rule))
                if seen is None or len(edge.target) < len(seen.target):
                    found[(edge.where, rule)] = edge
    return sorted(f"{edge}  [rule {rule}]" for (_, rule), edge in found.items())


def test_scan_sees_every_kind_of_import() -> None:
    source = '''
from __future__ import annotations
import typing
from typing import TYPE_CHECKING
import slack_sdk.web
from . import sibling
from ..storage import store as st
if TYPE_CHECKING:
    from bot.app import Bot
else:
    import json
if typing.TYPE_CHECKING:
    import bot.runner
def f():
    from bench import run_bench
async def g():
    import importlib
    importlib.import_module("bot.cli")
class C:
    def m(self):
        from bot import worker
'''
    edges = {(e.target, e.how) for e in imports_in(source, "bot.adapters.slack.thing", path="x.py")}
    assert {
        ("slack_sdk.web", "module level"), ("bot.adapters.slack", "module level"),
        ("bot.adapters.slack.sibling", "module level"), ("bot.adapters.storage.store", "module level"),
        ("bot.app", "TYPE_CHECKING"), ("bot.app.Bot", "TYPE_CHECKING"), ("json", "module level"),
        ("bot.runner", "TYPE_CHECKING"), ("bench", "in a function"), ("bench.run_bench", "in a function"),
        ("bot.cli", "import_module()"), ("bot.worker", "in a function"),
    } <= edges
    # relative imports in a package's __init__ resolve against the package itself
    assert {e.target for e in imports_in("from .outbound import X", "bot.adapters.slack", is_package=True)} == {
        "bot.adapters.slack.outbound", "bot.adapters.slack.outbound.X",
    }


def test_rules_and_the_one_exception() -> None:
    assert _rules("commands.ask", "discord.ext") == ["commands"]
    assert _rules("commands.ask", "discordant") == []  # a prefix of a name is not the name
    assert _rules("bot.worker", "bench.spine") == ["bot"]
    assert _rules("bot.cli", "bench") == []  # the CLI's bench subcommand
    assert _rules("bench.spine", "bot.app") == []
    assert _rules("bot.adapters.slack.inbound", "bot.adapters.discord.gateway") == ["bot.adapters.slack"]
    assert _rules("bot.adapters.console", "bot.app") == ["bot.adapters.console"]
    assert _rules("bot.adapters.slack.inbound", "bot.adapters.slack.outbound") == []
    assert _rules("bot.adapters.slack", "bot.storage.store") == []  # the spine
    # the scan reaches lazy imports: the CLI's `from bench import run_bench` sits inside a function
    assert any(e.importer == "bot.cli" and e.target == "bench" and e.how == "in a function" for e in EDGES)


def test_no_import_statement_points_an_arrow_outward() -> None:
    problems = _violations(platform_rules=False)
    assert not problems, "\n".join(problems)


def test_platform_packages_see_only_the_spine() -> None:
    problems = _violations(platform_rules=True)
    assert not problems, "\n".join(problems)


# -- the run-time probe ------------------------------------------------------------------------------
PROBE = """
import importlib, json, sys
before = set(sys.modules)
importlib.import_module(sys.argv[1])
print(json.dumps(sorted({m.split('.')[0] for m in set(sys.modules) - before})))
"""


def _modules() -> list[str]:
    names = []
    for pkg in PACKAGES:
        names.append(pkg)
        for info in pkgutil.walk_packages([str(ROOT / pkg)], prefix=f"{pkg}."):
            if ".migrations" in info.name or info.name.endswith("__main__"):
                continue
            names.append(info.name)
    return names


def _probe(module: str) -> str | None:
    room = module.split(".")[0]
    # top-level names only: what a module pulls in is seen by room, not by package
    allowed = {t for k, v in ALLOWED.items() if _under(module, k) for t in v}
    forbidden = {t for t in FORBIDDEN.get(room, ()) if "." not in t} - allowed
    out = subprocess.run([sys.executable, "-c", PROBE, module], capture_output=True, text=True, cwd=ROOT, timeout=120)
    if out.returncode != 0:
        return f"{module} does not import alone: {out.stderr.strip().splitlines()[-1:]}"
    loaded = set(json.loads(out.stdout.strip().splitlines()[-1]))
    bad = sorted(loaded & forbidden)
    return f"{module} pulls in {bad}" if bad else None


def test_every_module_imports_alone_and_no_arrow_points_outward() -> None:
    # one fresh interpreter per module (an import that only works after another module is a bug too)
    with ThreadPoolExecutor(max_workers=4) as pool:
        problems = [p for p in pool.map(_probe, _modules()) if p]
    assert not problems, "\n".join(problems)
