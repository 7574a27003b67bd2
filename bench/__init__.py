"""Benchmarks: `chatops bench <name> --json` prints one JSON object whose keys say unit and scope."""
from __future__ import annotations

import importlib
import json
import sys
from typing import Any

# name → module of this package exposing `async def bench(n, database_urls) -> dict`
BENCHES = {
    "spine": "bench.spine",
    "pool": "bench.pool",
    "mcp": "bench.mcp",
    "github": "bench.github",
    "report": "bench.report",
    "health": "bench.health",
    "slack": "bench.slack",
}


async def run_bench(name: str, *, n: int | None, database_urls: list[str] | None) -> int:
    module_name = BENCHES.get(name)
    if module_name is None:
        print(f"unknown benchmark {name!r}; known: {', '.join(sorted(BENCHES))}", file=sys.stderr)
        return 2
    module: Any = importlib.import_module(module_name)
    result = await module.bench(n=n, database_urls=database_urls)
    print(json.dumps(result, indent=2, ensure_ascii=False))
    return 0
