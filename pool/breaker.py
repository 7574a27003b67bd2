"""Per-deployment health: the circuit breaker and the figures `/status pool` shows.

Breaker: 3 consecutive failures (5xx, timeout, connection error, malformed answer) open it for a
cool-down; then exactly one request is let through as a half-open probe: success closes it, failure
opens it again. 429s do not count: a rate-limited deployment is healthy, only busy (it is skipped
until its Retry-After instead).
"""
from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass

CLOSED, OPEN, HALF_OPEN = "closed", "open", "half-open"


class Breaker:
    def __init__(self, threshold: int = 3, cooldown: float = 30.0) -> None:
        self.threshold, self.cooldown = threshold, cooldown
        self.failures = 0
        self.opened_at: float | None = None
        self.probing = False

    @property
    def state(self) -> str:
        if self.opened_at is None:
            return CLOSED
        return HALF_OPEN if time.monotonic() - self.opened_at >= self.cooldown else OPEN

    def allows(self) -> bool:
        """May a request go now? In half-open, only the one probe."""
        state = self.state
        return state == CLOSED or (state == HALF_OPEN and not self.probing)

    def retry_in(self) -> float:
        if self.opened_at is None:
            return 0.0
        return max(0.0, self.cooldown - (time.monotonic() - self.opened_at))

    def begin(self) -> bool:
        """Called when a request is sent; True when it is the half-open probe."""
        if self.opened_at is not None:
            self.probing = True
            return True
        return False

    def success(self) -> bool:
        """Returns True when this success closed an open circuit."""
        was_open = self.opened_at is not None
        self.failures, self.opened_at, self.probing = 0, None, False
        return was_open

    def failure(self) -> bool:
        """Returns True when this failure opened (or re-opened) the circuit."""
        self.failures += 1
        if self.probing or (self.opened_at is None and self.failures >= self.threshold):
            self.opened_at, self.probing = time.monotonic(), False
            return True
        return False

    def release(self) -> None:
        """A probe that ended without a verdict (cancelled, 429): let the next request probe."""
        self.probing = False


@dataclass(slots=True)
class DayTotals:
    day: str = ""
    requests: int = 0
    errors: int = 0
    tokens_in: int = 0
    tokens_out: int = 0
    cost: float = 0.0


def utc_day(now: float | None = None) -> str:
    return time.strftime("%Y-%m-%d", time.gmtime(now if now is not None else time.time()))


def _next_midnight() -> float:
    now = time.time()
    return now - now % 86400 + 86400


class DeploymentStats:
    """Latency window (last 500), EWMA for latency routing, in-flight and waiting counts, today's totals."""

    WINDOW = 500

    def __init__(self) -> None:
        self.latencies: deque[float] = deque(maxlen=self.WINDOW)
        self.outcomes: deque[bool] = deque(maxlen=self.WINDOW)  # True = error
        self.ewma_ms: float | None = None
        self.in_flight = 0
        self.waiting = 0
        self.cooling_until = 0.0  # the loop's clock: a 429's Retry-After
        self.today = DayTotals(day=utc_day())
        self._day_ends = _next_midnight()

    def record(self, latency_ms: float | None, error: bool) -> None:
        if latency_ms is not None:
            self.latencies.append(latency_ms)
            self.ewma_ms = latency_ms if self.ewma_ms is None else 0.8 * self.ewma_ms + 0.2 * latency_ms
        self.outcomes.append(error)
        day = self._day()
        day.requests += 1
        day.errors += error

    def add_usage(self, tokens_in: int, tokens_out: int, cost: float) -> None:
        day = self._day()
        day.tokens_in += tokens_in
        day.tokens_out += tokens_out
        day.cost += cost

    def _day(self) -> DayTotals:
        if time.time() >= self._day_ends:  # one float compare on the hot path, not a strftime
            self.today, self._day_ends = DayTotals(day=utc_day()), _next_midnight()
        return self.today

    def percentile(self, q: float) -> float | None:
        if not self.latencies:
            return None
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    def error_rate(self) -> float:
        return sum(self.outcomes) / len(self.outcomes) if self.outcomes else 0.0
