"""One health sample: the system and this process through psutil, plus sources the bot registers.

A source is a provider-neutral callable returning a (nested) dict, e.g. the pool's
`{"active_workers": 4, "queue_depth": 0, "breakers": {"openai/gpt-4o": "open"}}`. Values are flattened to
dotted names (`pool.active_workers`, `pool.breakers.openai/gpt-4o`); booleans count as 1/0 and the state
words in `STATE_VALUES` become numbers so that rules can compare them. Other strings are kept as text.
"""
from __future__ import annotations

import inspect
import logging
import os
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import psutil

log = logging.getLogger("chatops.reports")

Source = Callable[[], "Mapping[str, Any] | Awaitable[Mapping[str, Any]]"]
Clock = Callable[[], float]

STATE_VALUES = {
    "closed": 0.0, "half_open": 0.5, "half-open": 0.5, "open": 1.0,
    "up": 1.0, "ok": 1.0, "healthy": 1.0, "down": 0.0, "unhealthy": 0.0, "error": 0.0,
}


@dataclass(frozen=True, slots=True)
class Sample:
    ts: float
    values: dict[str, float]
    text: dict[str, str] = field(default_factory=dict)

    def get(self, name: str) -> float | None:
        return self.values.get(name)


def flatten(prefix: str, data: Mapping[str, Any], values: dict[str, float], text: dict[str, str]) -> None:
    for key, v in data.items():
        name = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(v, Mapping):
            flatten(name, v, values, text)
        elif isinstance(v, bool):
            values[name] = 1.0 if v else 0.0
        elif isinstance(v, (int, float)):
            values[name] = float(v)
        elif isinstance(v, str):
            text[name] = v
            if v.lower() in STATE_VALUES:
                values[name] = STATE_VALUES[v.lower()]


MIN_CPU_WINDOW = 0.25  # seconds


def _busy_total(t: Any) -> tuple[float, float]:
    """(busy, total) CPU seconds of all CPUs, counted as psutil counts them (guest time is already in user)."""
    total = sum(t) - getattr(t, "guest", 0.0) - getattr(t, "guest_nice", 0.0)
    return total - t.idle - getattr(t, "iowait", 0.0), total


class SystemProbe:
    """psutil readings of the machine and this process. Blocking: call it through `offload.blocking`.

    Rates (CPU %, network bytes/s) are measured between two calls, so the first reading primes them.
    """

    def __init__(self, disk_path: str = "/", clock: Clock = time.time) -> None:
        self._proc = psutil.Process()
        self._disk = disk_path
        self._clock = clock
        self._net: tuple[float, int, int] | None = None
        # psutil.cpu_percent(None) keeps its previous reading per *thread*, and reads run on whichever
        # executor thread is free: the probe keeps its own previous reading instead
        self._cpu = _busy_total(psutil.cpu_times())
        self._proc.cpu_percent(None)  # per Process object, not per thread
        self._primed = time.monotonic()

    def _system_cpu_percent(self) -> float:
        busy, total = _busy_total(psutil.cpu_times())
        (busy0, total0), self._cpu = self._cpu, (busy, total)
        if total <= total0:
            return 0.0
        return round(min(100.0, max(0.0, 100.0 * (busy - busy0) / (total - total0))), 1)

    def read(self) -> dict[str, Any]:
        # CPU % is a ratio of clock ticks (10 ms) since the previous call: read straight after the
        # priming (`chatops say "/status"`) it would be 0 %, so the first window lasts at least this long
        wait = MIN_CPU_WINDOW - (time.monotonic() - self._primed)
        if wait > 0:
            time.sleep(wait)
        self._primed = time.monotonic()
        now = self._clock()
        mem = psutil.virtual_memory()
        load1, load5, _ = os.getloadavg() if hasattr(os, "getloadavg") else (0.0, 0.0, 0.0)
        net = psutil.net_io_counters()
        sent_rate = recv_rate = 0.0
        if self._net is not None and now > self._net[0]:
            dt = now - self._net[0]
            sent_rate = max(0.0, (net.bytes_sent - self._net[1]) / dt)
            recv_rate = max(0.0, (net.bytes_recv - self._net[2]) / dt)
        self._net = (now, net.bytes_sent, net.bytes_recv)
        with self._proc.oneshot():
            proc = {
                "cpu_percent": self._proc.cpu_percent(None),
                "rss_bytes": self._proc.memory_info().rss,
                "threads": self._proc.num_threads(),
                # num_fds is one directory count; open_files() resolves every link and costs ~10x more
                "open_files": self._proc.num_fds() if hasattr(self._proc, "num_fds") else len(self._proc.open_files()),
            }
        return {
            "system": {
                "cpu_percent": self._system_cpu_percent(),
                "memory_percent": mem.percent,
                "disk_percent": psutil.disk_usage(self._disk).percent,
                "load1": load1,
                "load5": load5,
                "net_sent_bytes_per_s": sent_rate,
                "net_recv_bytes_per_s": recv_rate,
            },
            "process": proc,
        }


class Sampler:
    """Collects one `Sample` from a base probe and the named sources registered at assembly.

    A source that raises is logged and skipped, and `health.<name>_ok` records 0 for it, so a broken
    provider shows up in the sample instead of stopping the health check.
    """

    def __init__(
        self,
        probe: Callable[[], Mapping[str, Any]] | None = None,
        sources: Mapping[str, Source] | None = None,
        clock: Clock = time.time,
    ) -> None:
        self._probe = probe
        self._sources: dict[str, Source] = dict(sources or {})
        self.clock = clock

    def add_source(self, name: str, source: Source) -> None:
        if name in self._sources:
            raise ValueError(f"health source {name!r} is registered twice")
        self._sources[name] = source

    def source_names(self) -> list[str]:
        return sorted(self._sources)

    async def sample(self) -> Sample:
        from reports.offload import blocking

        values: dict[str, float] = {}
        text: dict[str, str] = {}
        if self._probe is not None:
            flatten("", await blocking(self._probe), values, text)
        for name, source in self._sources.items():
            try:
                data = source()
                if inspect.isawaitable(data):
                    data = await data
                flatten(name, data, values, text)
                values[f"health.{name}_ok"] = 1.0
            except Exception as e:
                log.warning("health source %s failed: %s: %s", name, type(e).__name__, e)
                values[f"health.{name}_ok"] = 0.0
                text[f"health.{name}_error"] = f"{type(e).__name__}: {e}"
        return Sample(self.clock(), values, text)
