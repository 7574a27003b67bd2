"""Money: what a request is expected to cost, daily budgets that cannot be overshot, running totals.

Budgets are reserved before a call and settled after it. Reservation is synchronous (no await between
the check and the booking), so concurrent requests on the one event loop cannot all slip under the
limit together; the estimate is an upper bound (prompt at 1 token per 2 characters, the full
`max_tokens` answer), so settling the real usage only ever gives money back. The counts live in
memory; the bot merges in the day's spending recorded in its database (`merge_spent`) at start-up and
every minute, so a restart or a second worker process does not start the day's budgets again.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from pool import prices
from pool.breaker import utc_day
from pool.errors import BudgetExceeded
from pool.interface import CallMeta, Message

BudgetKey = tuple[str, str]  # (scope, key): ("user", "slack:U1"), ("deployment", "openai")


def upper_bound_tokens(messages: Sequence[Message]) -> int:
    return sum(len(m.content) // 2 + 8 for m in messages) + 8


@dataclass(frozen=True, slots=True)
class Estimate:
    amount: float  # USD reserved
    priced: bool  # False: the model has no price; it is charged at `amount`


def estimate(price: prices.Price | None, messages: Sequence[Message], max_tokens: int) -> Estimate:
    return Estimate(prices.cost(price or prices.UNPRICED, upper_bound_tokens(messages), max_tokens), price is not None)


def charge(price: prices.Price | None, est: Estimate, tokens_in: int, tokens_out: int) -> float:
    return prices.cost(price, tokens_in, tokens_out) if price is not None else est.amount


@dataclass(slots=True)
class Reservation:
    keys: list[BudgetKey]
    amount: float
    open: bool = True


class Budgets:
    """Per-UTC-day limits by scope ("deployment", "user", "channel", "repo"); "*" is every key's default."""

    def __init__(self, limits: dict[str, dict[str, float]] | None = None) -> None:
        self.limits = limits or {}
        self.day = utc_day()
        self.spent: dict[BudgetKey, float] = {}
        self.reserved: dict[BudgetKey, float] = {}

    def _roll(self) -> None:
        today = utc_day()
        if today != self.day:  # reservations in flight stay booked; spending starts again
            self.day, self.spent = today, {}

    def keys(self, deployment: str, meta: CallMeta) -> list[BudgetKey]:
        if not self.limits:
            return []
        wanted = [("deployment", deployment), ("user", meta.user), ("channel", meta.channel), ("repo", meta.repo)]
        return [(s, k) for s, k in wanted if k is not None and self.limit((s, k)) is not None]

    def limit(self, key: BudgetKey) -> float | None:
        table = self.limits.get(key[0]) or {}
        return table.get(key[1], table.get("*"))

    def blocking(self, keys: list[BudgetKey], amount: float) -> tuple[BudgetKey, float, float] | None:
        """The first budget that `amount` more would overshoot: (key, limit, committed)."""
        self._roll()
        for key in keys:
            limit = self.limit(key)
            committed = self.spent.get(key, 0.0) + self.reserved.get(key, 0.0)
            if limit is not None and committed + amount > limit + 1e-12:
                return key, limit, committed
        return None

    def admit(self, keys: list[BudgetKey], amount: float) -> Reservation:
        """Check and book in one synchronous step (no await between them, so concurrent callers cannot all
        slip under a limit); `BudgetExceeded` names the first budget `amount` more would overshoot."""
        block = self.blocking(keys, amount)
        if block is not None:
            raise exceeded(block)
        return self.reserve(keys, amount)

    def reserve(self, keys: list[BudgetKey], amount: float) -> Reservation:
        for key in keys:
            self.reserved[key] = self.reserved.get(key, 0.0) + amount
        return Reservation(keys, amount)

    def settle(self, r: Reservation, actual: float | None) -> None:
        """Release the reservation and book `actual` (None: the call failed, nothing is charged)."""
        if not r.open:
            return
        r.open = False
        self._roll()
        for key in r.keys:
            self.reserved[key] = max(0.0, self.reserved.get(key, 0.0) - r.amount)
            if actual:
                self.spent[key] = self.spent.get(key, 0.0) + actual

    def merge_spent(self, day: str, recorded: dict[BudgetKey, float]) -> None:
        """Spending recorded elsewhere for UTC `day` (the database: earlier runs, other processes): each
        limited key keeps the larger of what this process counted and what was recorded."""
        self._roll()
        if day != self.day:
            return
        for key, amount in recorded.items():
            if self.limit(key) is not None and amount > self.spent.get(key, 0.0):
                self.spent[key] = amount

    def snapshot(self) -> list[tuple[str, float, float]]:
        """(scope:key, spent today, limit) for every budget that has spending."""
        return [(f"{s}:{k}", v, self.limit((s, k)) or 0.0) for (s, k), v in sorted(self.spent.items())]


def exceeded(block: tuple[BudgetKey, float, float]) -> BudgetExceeded:
    """The refusal for a `Budgets.blocking` answer: it names the budget as "scope:key"."""
    (scope, key), limit, committed = block
    return BudgetExceeded(f"{scope}:{key}", limit, committed)


@dataclass(slots=True)
class Totals:
    requests: int = 0
    tokens_in: int = 0
    tokens_out: int = 0
    cost: float = 0.0


@dataclass(slots=True)
class Ledger:
    """Running totals since start, per (provider kind, model)."""

    by_model: dict[tuple[str, str], Totals] = field(default_factory=dict)

    def add(self, kind: str, model: str, tokens_in: int, tokens_out: int, cost: float) -> None:
        t = self.by_model.get((kind, model))
        if t is None:
            t = self.by_model[(kind, model)] = Totals()
        t.requests += 1
        t.tokens_in += tokens_in
        t.tokens_out += tokens_out
        t.cost += cost
