"""The arrows: every module of pool/ imports alone, and none of them pulls in bot/ or commands/."""
from __future__ import annotations

import pkgutil
import subprocess
import sys

import pool

MODULES = sorted(f"pool.{m.name}" for m in pkgutil.iter_modules(pool.__path__))


def test_each_pool_module_imports_alone_without_bot_or_commands() -> None:
    code = (
        "import importlib, sys\n"
        f"for name in {MODULES!r}:\n"
        "    for m in [k for k in sys.modules if k == 'pool' or k.startswith('pool.')]:\n"
        "        del sys.modules[m]\n"
        "    importlib.import_module(name)\n"
        "    bad = [k for k in sys.modules if k.split('.')[0] in ('bot', 'commands')]\n"
        "    assert not bad, (name, bad)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "pool.pool" in MODULES and "pool.fake" in MODULES
