"""Walks a package's source for its catalog lookups, so a typo'd key, a forgotten field or a dead
string fails a unit test instead of a user's reply. Used by the catalog tests of commands, bot, reports."""
from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from commands.messages import format_fields

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Lookup:
    where: str
    keys: tuple[str, ...]  # literal keys (two for `t("a" if x else "b", …)`), empty if computed
    fields: frozenset[str] | None  # keyword names passed, None when `**fields` is passed through


def _literal_keys(node: ast.expr) -> tuple[str, ...]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return (node.value,)
    if isinstance(node, ast.IfExp):
        return _literal_keys(node.body) + _literal_keys(node.orelse)
    return ()


def _imports_t_from(tree: ast.Module, catalog: str) -> bool:
    return any(
        isinstance(n, ast.ImportFrom) and n.module == catalog and any(a.name == "t" and a.asname is None for a in n.names)
        for n in ast.walk(tree)
    )


def sources(package: str) -> Iterator[tuple[Path, ast.Module]]:
    for path in sorted((ROOT / package).rglob("*.py")):
        yield path, ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def lookups(package: str, catalog: str) -> list[Lookup]:
    """Every `t(...)` call in the modules of `package` that import `t` from `catalog`."""
    out = []
    for path, tree in sources(package):
        if not _imports_t_from(tree, catalog):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "t" and node.args:
                passed = None if any(k.arg is None for k in node.keywords) else frozenset(k.arg for k in node.keywords if k.arg)
                out.append(Lookup(f"{path.relative_to(ROOT)}:{node.lineno}", _literal_keys(node.args[0]), passed))
    return out


def lookup_problems(package: str, catalog: str, messages: Mapping[str, Mapping[str, str]]) -> list[str]:
    """Keys that do not exist, and calls whose keyword fields differ from what the English text formats."""
    found = lookups(package, catalog)
    assert found, f"no t(...) call found in {package} for {catalog}: the walker is broken"
    out = []
    for call in found:
        for key in call.keys:
            if key not in messages:
                out.append(f"{call.where}: no key {key!r}")
            elif call.fields is not None and call.fields != format_fields(messages[key]["en"]):
                out.append(f"{call.where}: {key!r} formats {sorted(format_fields(messages[key]['en']))}, given {sorted(call.fields)}")
    return out


def unused_keys(packages: tuple[str, ...], messages: Mapping[str, Mapping[str, str]], catalog_files: tuple[Path, ...]) -> list[str]:
    """Keys no source file outside the catalog names as a string: dead strings nobody can see."""
    named: set[str] = set()
    for package in packages:
        for path, tree in sources(package):
            if path in catalog_files:
                continue
            named |= {n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)}
    return sorted(set(messages) - named)
