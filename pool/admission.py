"""Which deployment an attempt goes to: open circuits and budgets rule candidates out, a 429's
Retry-After makes one wait, the routing strategy picks among the rest, and a retry on a deployment
that already failed this request backs off with full jitter.
"""
from __future__ import annotations

import asyncio
import random
from collections.abc import Callable, Sequence

from pool.accounting import Budgets, Estimate, Reservation, estimate, exceeded
from pool.errors import BudgetExceeded, CircuitOpen, DeadlineExceeded, ProviderError
from pool.interface import CallMeta, Message
from pool.routing import Strategy
from pool.state import DeploymentState

Choice = tuple[DeploymentState, Estimate, list[tuple[str, str]]]
_PRICED = Estimate(0.0, True)  # stands in when neither a budget nor a missing price needs the estimate


class Admission:
    def __init__(
        self, states: dict[str, DeploymentState], budgets: Budgets, route: Strategy,
        emit: Callable[[str, str, str], None], backoff_base: float, backoff_cap: float,
    ) -> None:
        self.states, self.budgets, self.route, self.emit = states, budgets, route, emit
        self.backoff_base, self.backoff_cap = backoff_base, backoff_cap

    async def choose(
        self, names: Sequence[str], failed: set[str], messages: Sequence[Message], meta: CallMeta, max_tokens: int,
        deadline: float, attempt: int, last: ProviderError | None,
    ) -> Choice:
        viable = self.viable(names, messages, meta, max_tokens, last)
        fresh = [v for v in viable if v[0].name not in failed] or viable
        now = asyncio.get_running_loop().time()
        ready = [v for v in fresh if v[0].stats.cooling_until <= now]
        wait = 0.0
        if not ready:  # every candidate is rate limited: wait for the first Retry-After to pass
            soonest = min(fresh, key=lambda v: v[0].stats.cooling_until)
            wait, ready = soonest[0].stats.cooling_until - now, [soonest]
        if len(ready) == 1:
            choice = ready[0]
        else:
            picked = self.route([v[0] for v in ready])
            choice = next(v for v in ready if v[0] is picked)
        if choice[0].name in failed:  # retrying where it failed: back off, full jitter
            wait = max(wait, random.uniform(0, min(self.backoff_cap, self.backoff_base * 2 ** attempt)))
        if wait > 0:
            if now + wait >= deadline:
                raise last or DeadlineExceeded(choice[0].name, "the deadline passes before the provider's Retry-After")
            await asyncio.sleep(wait)
        return choice

    def viable(
        self, names: Sequence[str], messages: Sequence[Message], meta: CallMeta, max_tokens: int,
        last: ProviderError | None,
    ) -> list[Choice]:
        out: list[Choice] = []
        shut: list[DeploymentState] = []
        blocked: tuple[tuple[str, str], float, float] | None = None
        for name in names:
            state = self.states[name]
            if not state.breaker.allows():
                shut.append(state)
                continue
            keys = self.budgets.keys(name, meta) if self.budgets.limits else []
            # the estimate matters for budgets and for unpriced models only; skip the work otherwise
            est = estimate(state.price, messages, max_tokens) if keys or state.price is None else _PRICED
            if keys:
                block = self.budgets.blocking(keys, est.amount)
                if block is not None:
                    blocked = blocked or block
                    (scope, key), limit, committed = block
                    self.emit("budget_exceeded", f"{scope}:{key}", f"${committed:.4f} of ${limit:.2f} today; {name} skipped")
                    continue
            out.append((state, est, keys))
        if out:
            return out
        if blocked is not None:
            raise exceeded(blocked)
        if last is not None:
            raise last
        raise CircuitOpen([s.name for s in shut], min(s.breaker.retry_in() for s in shut))

    def reserve(self, state: DeploymentState, est: Estimate, keys: list[tuple[str, str]]) -> Reservation:
        """Check and book in one synchronous step: `_choose` may have slept since its check."""
        try:
            return self.budgets.admit(keys, est.amount)
        except BudgetExceeded as e:
            self.emit("budget_exceeded", e.budget, f"${e.spent:.4f} of ${e.limit:.2f} today; {state.name} skipped")
            raise
