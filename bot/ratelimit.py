"""Rate limits shared by every process: per requester, per conversation, and for GitHub-triggered LLM work.

`RATE_LIMITS` names them (`user=30/60s,channel=120/60s,github=30/3600s,tokens=200000/3600s`; `off` turns
them off). `tokens` is an allowance of LLM tokens per person: the worker charges what an execution used,
and a person past it is refused new LLM work (`/ask`, `/review`) until the window moves on. Each limit
is a sliding-window counter over two fixed windows (the previous window's count weighted by how much of it
still overlaps the last `period`, plus the current one's), which behaves like a token bucket of `count`
refilled over `period` without a read-modify-write per request.

The acknowledgement path only reads and bumps dictionaries. Once a second the process adds its new counts
to `rate_window` (one upsert per key) and reads back every process's totals for the keys it has seen, so
N processes may together let through at most about N seconds' worth of traffic past a limit before they
all see it. A refusal says when to try again.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select, tuple_
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.storage.models import RATE_WINDOWS
from bot.storage.sqlite_writer import write_transaction

log = logging.getLogger("chatops.ratelimit")
DEFAULT_LIMITS = "user=30/60s,channel=120/60s,github=30/3600s,tokens=200000/3600s"
SCOPES = ("user", "channel", "github", "tokens")
SPENT = frozenset({"tokens"})  # scopes charged after the work (LLM tokens), checked but not counted per request
SYNC_EVERY = 1.0


@dataclass(frozen=True, slots=True)
class Limit:
    scope: str
    count: int
    period: float


def parse_limits(text: str | None) -> dict[str, Limit]:
    """`user=30/60s,channel=120/1m` → limits by scope; "" or "off" → none. Raises ValueError naming the part."""
    text = (text or "").strip()
    if text.lower() in ("", "off", "none"):
        return {}
    found: dict[str, Limit] = {}
    for part in text.split(","):
        scope, _, rule = part.strip().partition("=")
        count, _, period = rule.partition("/")
        try:
            seconds = _seconds(period.strip())
            n = int(count)
        except ValueError:
            n, seconds = 0, 0.0
        if scope.strip() not in SCOPES or n < 1 or seconds <= 0:
            raise ValueError(f"{part.strip()!r}: expected scope=count/period with scope one of {', '.join(SCOPES)},"
                             " e.g. user=30/60s")
        found[scope.strip()] = Limit(scope.strip(), n, seconds)
    return found


def _seconds(text: str) -> float:
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    if text and text[-1] in units:
        return float(text[:-1]) * units[text[-1]]
    return float(text)


class RateLimiter:
    def __init__(self, engine: AsyncEngine, limits: dict[str, Limit], clock: Callable[[], float] = time.time) -> None:
        self.engine, self.limits, self.clock = engine, limits, clock
        self._totals: dict[tuple[str, int], int] = {}  # every process's count, as of the last sync
        self._pending: dict[tuple[str, int], int] = {}  # this process's counts not yet written
        self._told: set[tuple[str, int]] = set()  # keys already refused (and audited) in this window

    def take(self, wanted: Iterable[tuple[str, str]]) -> tuple[str, float] | None:
        """Count one request against each (scope, key) limit; None when all allow it, else the scope that
        refuses and the seconds until it would allow one (nothing is counted then)."""
        now = self.clock()
        keys = []
        for scope, key in wanted:
            limit = self.limits.get(scope)
            if limit is None:
                continue
            name = f"{scope}:{key}"
            window = int(now // limit.period)
            used, previous = self._used(name, window), self._used(name, window - 1)
            overlap = 1.0 - (now / limit.period - window)  # the part of the previous window still in view
            spent = scope in SPENT
            if previous * overlap + used + (0 if spent else 1) > limit.count - (1 if spent else 0):
                return scope, self._wait(limit, now, window, used, previous)
            if not spent:
                keys.append((name, window))
        for k in keys:
            self._pending[k] = self._pending.get(k, 0) + 1
        return None

    def charge(self, scope: str, key: str, amount: int) -> None:
        """Count `amount` (LLM tokens an execution used) against `key`'s current window."""
        limit = self.limits.get(scope)
        if limit is None or amount <= 0:
            return
        k = (f"{scope}:{key}", int(self.clock() // limit.period))
        self._pending[k] = self._pending.get(k, 0) + amount

    def first_refusal(self, scope: str, key: str) -> bool:
        """True once per key and window: a flood is audited once, not once per request."""
        limit = self.limits[scope]
        k = (f"{scope}:{key}", int(self.clock() // limit.period))
        if k in self._told:
            return False
        if len(self._told) > 10_000:
            self._told.clear()
        self._told.add(k)
        return True

    def _used(self, name: str, window: int) -> int:
        k = (name, window)
        return self._totals.get(k, 0) + self._pending.get(k, 0)

    @staticmethod
    def _wait(limit: Limit, now: float, window: int, used: int, previous: int) -> float:
        end = (window + 1) * limit.period
        if used + 1 > limit.count or previous == 0:
            return max(1.0, math.ceil(end - now))  # the current window alone is full: its end
        # the previous window's weight falls linearly; find when it has fallen enough for one more
        excess = previous * (1.0 - (now / limit.period - window)) + used + 1 - limit.count
        return max(1.0, math.ceil(excess / previous * limit.period))

    async def sync(self) -> None:
        """Write this process's new counts and read every process's totals for the keys in view."""
        pending, self._pending = self._pending, {}
        now = self.clock()
        horizon = {name: int(now // limit.period) for name, limit in self.limits.items()}
        try:
            async with write_transaction(self.engine) as conn:
                if pending:
                    rows = [{"key": k, "window": w, "used": n} for (k, w), n in pending.items()]
                    await conn.execute(_upsert(self.engine, rows))
                live = [k for k in {*self._totals, *pending} if k[1] >= horizon.get(k[0].partition(":")[0], 0) - 1]
                totals: dict[tuple[str, int], int] = {}
                for i in range(0, len(live), 500):
                    chunk = live[i:i + 500]
                    query = select(RATE_WINDOWS.c.key, RATE_WINDOWS.c.window, RATE_WINDOWS.c.used).where(
                        tuple_(RATE_WINDOWS.c.key, RATE_WINDOWS.c.window).in_(chunk))
                    totals.update({(r.key, r.window): r.used for r in (await conn.execute(query)).all()})
        except Exception:
            # the database is away: keep counting here and write it all next time
            for k, n in pending.items():
                self._pending[k] = self._pending.get(k, 0) + n
            log.warning("rate-limit counts could not be shared; counting locally until the database answers",
                        exc_info=True)
            return
        self._totals = totals

    async def prune(self, now: float) -> int:
        """Forget the windows no limit looks at any more (the retention job): each scope keeps two."""
        removed = 0
        async with write_transaction(self.engine) as conn:
            for scope, limit in self.limits.items():
                result = await conn.execute(delete(RATE_WINDOWS).where(
                    RATE_WINDOWS.c.key.startswith(f"{scope}:"), RATE_WINDOWS.c.window < int(now // limit.period) - 1))
                removed += int(result.rowcount or 0)
        return removed

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[RateLimiter]:
        """Share the counts every SYNC_EVERY seconds while the process runs (and once more at the end)."""
        if not self.limits:
            yield self
            return

        async def loop() -> None:
            while True:
                await asyncio.sleep(SYNC_EVERY)
                await self.sync()

        task = asyncio.create_task(loop(), name="rate-limit-sync")
        try:
            yield self
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            await self.sync()


def _upsert(engine: AsyncEngine, rows: list[dict[str, object]]) -> Any:
    """INSERT … ON CONFLICT (key, window) DO UPDATE SET used = used + excluded.used, in the engine's dialect."""
    from sqlalchemy.dialects import postgresql, sqlite

    if engine.dialect.name == "postgresql":
        pg = postgresql.insert(RATE_WINDOWS).values(rows)
        return pg.on_conflict_do_update(index_elements=["key", "window"], set_={"used": RATE_WINDOWS.c.used + pg.excluded.used})
    lite = sqlite.insert(RATE_WINDOWS).values(rows)
    return lite.on_conflict_do_update(index_elements=["key", "window"], set_={"used": RATE_WINDOWS.c.used + lite.excluded.used})
