"""A snapshot of the bot's own process (psutil), for /status and the health checks."""
from __future__ import annotations

from dataclasses import dataclass

import psutil

_PROC = psutil.Process()
_PROC.cpu_percent(None)  # prime: the first reading of cpu_percent is always 0.0


@dataclass(frozen=True, slots=True)
class ProcessStats:
    cpu_percent: float
    rss_bytes: int
    threads: int


def process_stats() -> ProcessStats:
    with _PROC.oneshot():
        return ProcessStats(
            cpu_percent=_PROC.cpu_percent(None),
            rss_bytes=_PROC.memory_info().rss,
            threads=_PROC.num_threads(),
        )


def human_bytes(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GiB"
