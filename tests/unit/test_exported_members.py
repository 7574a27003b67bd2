"""The public surfaces of pool/, providers/ and reports/ (as httpx's tests/test_exported_members.py).

Each package names its public members in `__all__` and loads them on first use (PEP 562), so other rooms
import `from pool import CallMeta` while `import pool` stays cheap. These tests keep `__all__`, the lazy
table and the `TYPE_CHECKING` block (what mypy sees) saying the same thing, and keep other rooms on it.
"""
from __future__ import annotations

import ast
import importlib
import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ["pool", "providers", "reports"]
# What a one-shot command must not pay for just because it imported a package.
HEAVY = [
    "aiohttp", "httpx", "mcp", "mcp_types", "sqlalchemy", "sqlmodel", "matplotlib", "psutil", "githubkit", "jsonschema",
    "sqlglot", "prometheus_client", "pydantic", "pydantic_settings",
]


def _package(name: str) -> ModuleType:
    return importlib.import_module(name)


def _type_checking_names(package: str) -> dict[str, str]:
    """Name → module of the `from m import X as X` lines under `if TYPE_CHECKING:` in the package's __init__."""
    tree = ast.parse((ROOT / package / "__init__.py").read_text(encoding="utf-8"))
    names: dict[str, str] = {}
    for node in tree.body:
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            for stmt in node.body:
                assert isinstance(stmt, ast.ImportFrom) and stmt.module, ast.dump(stmt)
                for alias in stmt.names:
                    assert alias.asname == alias.name, f"{package}: `{alias.name}` needs `as {alias.name}` to be re-exported"
                    names[alias.name] = stmt.module
    return names


@pytest.mark.parametrize("package", PACKAGES)
def test_every_name_in_all_resolves_to_the_object_its_module_defines(package: str) -> None:
    pkg = _package(package)
    assert pkg.__all__, f"{package} declares no public names"
    assert len(pkg.__all__) == len(set(pkg.__all__)), f"{package}.__all__ lists a name twice"
    for name in pkg.__all__:
        home = importlib.import_module(pkg._HOME[name])
        assert getattr(pkg, name) is getattr(home, name), f"{package}.{name} is not {home.__name__}.{name}"
        assert name in dir(pkg)


@pytest.mark.parametrize("package", PACKAGES)
def test_all_the_lazy_table_and_the_type_checking_block_agree(package: str) -> None:
    pkg = _package(package)
    lazy = dict(pkg._HOME)
    assert set(pkg.__all__) == set(lazy), f"{package}: __all__ and _EXPORTS differ"
    assert _type_checking_names(package) == lazy, f"{package}: the TYPE_CHECKING imports and _EXPORTS differ"


@pytest.mark.parametrize("package", PACKAGES)
def test_an_unknown_name_is_an_attribute_error_naming_it(package: str) -> None:
    pkg = _package(package)
    with pytest.raises(AttributeError, match="no_such_member"):
        pkg.no_such_member  # noqa: B018  (the attribute access is the test)
    with pytest.raises(ImportError, match="no_such_member"):
        exec(f"from {package} import no_such_member", {})


def test_importing_the_packages_alone_loads_none_of_their_modules_nor_heavy_libraries() -> None:
    code = (
        "import json, sys\n"
        "before = set(sys.modules)\n"
        f"import {', '.join(PACKAGES)}\n"
        "print(json.dumps(sorted(set(sys.modules) - before)))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    loaded = json.loads(done.stdout)
    assert set(PACKAGES) <= set(loaded)
    assert [m for m in loaded if m.split(".")[0] in PACKAGES and m not in PACKAGES] == []
    assert [m for m in loaded if m.split(".")[0] in HEAVY] == []
    # and a name loads only the module that defines it (and what that module imports), on first use
    code = "import sys, pool\npool.LLMSettings\nprint('pool.pool' in sys.modules, 'aiohttp' in sys.modules)\n"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["False", "False"]


def test_heavy_libraries_named_here_are_real_import_names() -> None:
    # a misspelt entry in HEAVY would make the test above pass for nothing
    for name in HEAVY:
        importlib.import_module(name)


def _violations(source: str, where: str) -> list[str]:
    """`where:line: statement` for each import in `source` that reaches past a package's __all__."""
    public = {p: set(_package(p).__all__) for p in PACKAGES}
    found: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            top = node.module.split(".")[0]
            names = [a.name for a in node.names]
            if top in public and (node.module != top or not set(names) <= public[top]):
                found.append(f"{where}:{node.lineno}: from {node.module} import {', '.join(names)}")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] in public and "." in alias.name:
                    found.append(f"{where}:{node.lineno}: import {alias.name}")
    return found


def _deep_imports() -> list[str]:
    """Every import in bot/, commands/ and bench/ (TYPE_CHECKING and function-level ones too) past the public names."""
    return [
        v
        for room in ("bot", "commands", "bench")
        for path in sorted((ROOT / room).rglob("*.py"))
        for v in _violations(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)))
    ]


def test_the_scan_flags_module_imports_and_names_outside_all() -> None:
    source = (
        "from pool.interface import CallMeta\n"
        "from pool import CallMeta, LLMPool\n"
        "import providers.hub\n"
        "import reports\n"
        "def f():\n"
        "    from reports import not_public\n"
        "from bot.app import open_bot\n"
    )
    assert _violations(source, "x.py") == [
        "x.py:1: from pool.interface import CallMeta",
        "x.py:3: import providers.hub",
        "x.py:6: from reports import not_public",
    ]


def test_other_rooms_import_only_the_public_names() -> None:
    deep = _deep_imports()
    assert deep == [], "import these from the package instead:\n" + "\n".join(deep)
