"""reports/ never imports bot/ or commands/ (each module imported alone in a fresh interpreter)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import reports

MODULES = sorted(p.stem for p in Path(reports.__file__).parent.glob("*.py") if p.stem != "__init__")


def test_reports_modules_do_not_import_bot_or_commands() -> None:
    code = (
        "import importlib, sys\n"
        f"for m in {MODULES!r}:\n"
        "    importlib.import_module('reports.' + m)\n"
        "bad = sorted(n for n in sys.modules if n.split('.')[0] in ('bot', 'commands'))\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.strip() == ""
    assert "charts" in MODULES and "alerts" in MODULES
