"""providers/ knows nothing about chat: no module of it imports bot or commands."""
from __future__ import annotations

import pkgutil
import subprocess
import sys

import providers


def test_no_provider_module_imports_bot_or_commands() -> None:
    names = [f"providers.{m.name}" for m in pkgutil.iter_modules(providers.__path__)]
    code = (
        "import importlib, sys\n"
        f"for n in {names!r}: importlib.import_module(n)\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('bot', 'commands'))\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.strip() == "", out.stdout
    assert "providers.hub" in names and len(names) >= 10
