"""The rooms' one-way arrows (DESIGN.md), checked by importing every module alone in a fresh process."""
from __future__ import annotations

import json
import pkgutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
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


def _probe(module: str) -> str | None:
    room = module.split(".")[0]
    forbidden = FORBIDDEN.get(room, ())
    out = subprocess.run([sys.executable, "-c", PROBE, module], capture_output=True, text=True, cwd=ROOT, timeout=120)
    if out.returncode != 0:
        return f"{module} does not import alone: {out.stderr.strip().splitlines()[-1:]}"
    loaded = set(json.loads(out.stdout.strip().splitlines()[-1]))
    bad = sorted(loaded & set(forbidden))
    return f"{module} pulls in {bad}" if bad else None


def test_every_module_imports_alone_and_no_arrow_points_outward() -> None:
    # one fresh interpreter per module (an import that only works after another module is a bug too)
    with ThreadPoolExecutor(max_workers=4) as pool:
        problems = [p for p in pool.map(_probe, _modules()) if p]
    assert not problems, "\n".join(problems)
