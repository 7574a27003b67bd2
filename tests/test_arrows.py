"""The rooms' one-way arrows (DESIGN.md), checked by importing every module alone in a fresh process."""
from __future__ import annotations

import json
import pkgutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ["bot", "commands", "pool", "providers", "reports"]
FORBIDDEN = {
    "pool": ("bot", "commands"),
    "providers": ("bot", "commands"),
    "reports": ("bot", "commands"),
    "commands": ("bot", "slack_bolt", "slack_sdk", "discord", "githubkit"),
}

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


def test_every_module_imports_alone_and_no_arrow_points_outward() -> None:
    problems = []
    modules = _modules()
    # one interpreter per room keeps this fast; modules of one room share their allowed imports
    for module in modules:
        room = module.split(".")[0]
        forbidden = FORBIDDEN.get(room, ())
        out = subprocess.run([sys.executable, "-c", PROBE, module], capture_output=True, text=True, cwd=ROOT, timeout=60)
        if out.returncode != 0:
            problems.append(f"{module} does not import alone: {out.stderr.strip().splitlines()[-1:]}")
            continue
        loaded = set(json.loads(out.stdout.strip().splitlines()[-1]))
        bad = sorted(loaded & set(forbidden))
        if bad:
            problems.append(f"{module} pulls in {bad}")
    assert not problems, "\n".join(problems)
