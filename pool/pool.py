"""The LLM pool: slots and priorities, routing, retries, breakers, fallback, budgets and accounting.

One request: take a global slot (priority queue, bounded: full → `PoolBusy` at once), then per attempt
pick a candidate of the alias (breaker allows it, budgets fit, not cooling after a 429; routed by the
strategy; a different candidate than the ones that failed when there is one), take its semaphore,
reserve the budget estimate, call, settle. 429/5xx/timeouts/malformed answers are retried with
exponential backoff and full jitter (a 429's Retry-After is the floor); other 4xx are not. Everything
runs under the overall deadline; cancelling the caller cancels the HTTP request.

If the pool's own machinery raises (a bug, not a provider failure), the request falls back to the
single-client path; after 3 such errors in a row the pool switches itself off for a cool-down.
"""
from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass

from pool.accounting import Budgets, Estimate, Ledger, Reservation, charge, estimate
from pool.client import CallMeta, ChatClient, Completion, Message, StreamEvent, ToolSpec
from pool.clients import DirectLLM
from pool.config import PoolConfig
from pool.errors import (
    BadResponse,
    BudgetExceeded,
    CircuitOpen,
    DeadlineExceeded,
    PoolError,
    ProviderError,
    ProviderTimeout,
    ProviderUnavailable,
    RateLimited,
    UnknownModel,
)
from pool.health import Breaker
from pool.routing import Strategy, strategy
from pool.slots import Slots
from pool.snapshot import PoolStatus, build_status
from pool.state import DeploymentState

log = logging.getLogger("chatops.pool")

FAILURES = (ProviderUnavailable, ProviderTimeout, BadResponse)  # count against the breaker
DEPLOYMENT_SPECIFIC = (401, 403, 404)  # a bad key or a missing model: another candidate may work
_META = CallMeta()
_PRICED = Estimate(0.0, True)


@dataclass(frozen=True, slots=True)
class PoolEvent:
    kind: str  # budget_exceeded | breaker_open | breaker_closed | pool_disabled | pool_enabled
    subject: str  # a deployment name, or a budget such as "user:slack:U1"
    detail: str
    at: float


Listener = Callable[[PoolEvent], None]
Choice = tuple[DeploymentState, Estimate, list[tuple[str, str]]]


class LLMPool:
    def __init__(
        self, config: PoolConfig, clients: dict[str, ChatClient], *, size: int = 5, queue: int = 100,
        deadline: float = 120.0, retries: int = 2, routing: str | Strategy = "least-busy",
        breaker_cooldown: float = 30.0, pool_cooldown: float = 60.0, max_tokens: int = 1024,
        backoff_base: float = 0.25, backoff_cap: float = 8.0,
    ) -> None:
        self.config = config
        self.states = {
            d.name: DeploymentState(d, clients[d.name], Breaker(3, breaker_cooldown), asyncio.Semaphore(d.max_concurrency))
            for d in config.deployments
        }
        self.slots = Slots(size, queue)
        self.route: Strategy = strategy(routing) if isinstance(routing, str) else routing
        self.deadline, self.retries, self.max_tokens = deadline, retries, max_tokens
        self.backoff_base, self.backoff_cap = backoff_base, backoff_cap
        self.pool_cooldown = pool_cooldown
        self.budgets = Budgets(config.budgets)
        self.ledger = Ledger()
        self.direct = DirectLLM(config, clients, max_tokens=max_tokens, owns=False)
        self.listeners: list[Listener] = []
        self.internal_errors = 0
        self.disabled_until = 0.0
        self.name = "pool: " + ", ".join(self.states)

    # -- the LLMService interface ------------------------------------------------------------------
    def models(self) -> list[str]:
        return self.config.names()

    def status(self) -> PoolStatus:
        return build_status(self)

    def subscribe(self, listener: Listener) -> None:
        self.listeners.append(listener)

    async def complete(
        self, messages: Sequence[Message], *, model: str | None = None, tools: Sequence[ToolSpec] = (),
        meta: CallMeta | None = None,
    ) -> Completion:
        if self.disabled_until and self._still_off():
            return await self.direct.complete(messages, model=model, tools=tools, meta=meta)
        try:
            result = await self._run_complete(messages, model, tools, meta or _META)
        except PoolError:
            self.internal_errors = 0
            raise
        except Exception as e:
            self._internal_failure(e)
            return await self.direct.complete(messages, model=model, tools=tools, meta=meta)
        self.internal_errors = 0
        return result

    async def stream(
        self, messages: Sequence[Message], *, model: str | None = None, tools: Sequence[ToolSpec] = (),
        meta: CallMeta | None = None,
    ) -> AsyncIterator[StreamEvent]:
        if self.disabled_until and self._still_off():
            async for event in self.direct.stream(messages, model=model, tools=tools, meta=meta):
                yield event
            return
        emitted = False
        run = self._run_stream(messages, model, tools, meta or _META)
        try:
            async for event in run:
                emitted = True
                yield event
        except PoolError:
            self.internal_errors = 0
            raise
        except Exception as e:
            if emitted:  # half an answer is out: a second one from elsewhere would not match it
                raise
            self._internal_failure(e)
            async for event in self.direct.stream(messages, model=model, tools=tools, meta=meta):
                yield event
            return
        finally:
            await run.aclose()
        self.internal_errors = 0

    async def aclose(self) -> None:
        for state in self.states.values():
            await state.client.aclose()

    # -- one request -------------------------------------------------------------------------------
    def _begin(self, model: str | None, meta: CallMeta) -> tuple[tuple[str, ...], float, int]:
        names = self.config.candidates(model)
        if names is None:
            raise UnknownModel(model or "default", self.models())
        deadline = asyncio.get_running_loop().time() + (meta.deadline or self.deadline)
        return names, deadline, meta.max_tokens or self.max_tokens

    async def _take_slot(self, meta: CallMeta, deadline: float) -> None:
        if self.slots.try_acquire():
            return
        try:
            async with asyncio.timeout_at(deadline):
                await self.slots.acquire(meta.priority)
        except TimeoutError:
            raise DeadlineExceeded("pool", f"no free worker slot within {meta.deadline or self.deadline:g}s") from None

    async def _run_complete(
        self, messages: Sequence[Message], model: str | None, tools: Sequence[ToolSpec], meta: CallMeta
    ) -> Completion:
        names, deadline, max_tokens = self._begin(model, meta)
        await self._take_slot(meta, deadline)
        try:
            failed: set[str] = set()
            last: ProviderError | None = None
            for attempt in range(self.retries + len(names)):  # retries, plus one try per fallback candidate
                state, est, keys = await self._choose(names, failed, messages, meta, max_tokens, deadline, attempt, last)
                reservation = self._reserve(state, est, keys) if keys else None
                timeout = await self._enter(state, reservation, deadline)
                started = time.perf_counter()
                try:
                    result = await state.client.complete(messages, tools=tools, max_tokens=max_tokens, timeout=timeout)
                except BaseException as e:
                    self._exit(state)
                    last = self._after_failure(state, reservation, e, names, failed, deadline, answered=False)
                    continue
                self._exit(state)
                return self._succeed(state, est, reservation, result, started)
            assert last is not None
            raise last
        finally:
            self.slots.release()

    async def _run_stream(
        self, messages: Sequence[Message], model: str | None, tools: Sequence[ToolSpec], meta: CallMeta
    ) -> AsyncIterator[StreamEvent]:
        names, deadline, max_tokens = self._begin(model, meta)
        await self._take_slot(meta, deadline)
        try:
            failed: set[str] = set()
            last: ProviderError | None = None
            for attempt in range(self.retries + len(names)):  # retries, plus one try per fallback candidate
                state, est, keys = await self._choose(names, failed, messages, meta, max_tokens, deadline, attempt, last)
                reservation = self._reserve(state, est, keys) if keys else None
                timeout = await self._enter(state, reservation, deadline)
                started = time.perf_counter()
                answered, result = False, None
                events = state.client.stream(messages, tools=tools, max_tokens=max_tokens, timeout=timeout)
                try:
                    while True:
                        async with asyncio.timeout_at(deadline):  # the client bounds each gap; this the whole
                            event = await anext(events, None)  # type: ignore[call-overload]
                        if event is None:
                            break
                        if isinstance(event, Completion):
                            result = event
                        else:
                            answered = True
                            yield event
                    if result is None:
                        raise BadResponse(state.name, "the stream ended without an answer")
                except BaseException as e:
                    self._exit(state)
                    await events.aclose()  # type: ignore[attr-defined]
                    last = self._after_failure(state, reservation, e, names, failed, deadline, answered=answered)
                    continue
                self._exit(state)
                await events.aclose()  # type: ignore[attr-defined]
                yield self._succeed(state, est, reservation, result, started)
                return
            assert last is not None
            raise last
        finally:
            self.slots.release()

    async def _choose(
        self, names: Sequence[str], failed: set[str], messages: Sequence[Message], meta: CallMeta, max_tokens: int,
        deadline: float, attempt: int, last: ProviderError | None,
    ) -> Choice:
        viable = self._viable(names, messages, meta, max_tokens, last)
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

    def _viable(
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
                    self._emit("budget_exceeded", f"{scope}:{key}", f"${committed:.4f} of ${limit:.2f} today; {name} skipped")
                    continue
            out.append((state, est, keys))
        if out:
            return out
        if blocked is not None:
            (scope, key), limit, committed = blocked
            raise BudgetExceeded(f"{scope}:{key}", limit, committed)
        if last is not None:
            raise last
        raise CircuitOpen([s.name for s in shut], min(s.breaker.retry_in() for s in shut))

    def _reserve(self, state: DeploymentState, est: Estimate, keys: list[tuple[str, str]]) -> Reservation:
        """Check and book in one synchronous step: `_choose` may have slept since its check."""
        block = self.budgets.blocking(keys, est.amount)
        if block is not None:
            (scope, key), limit, committed = block
            self._emit("budget_exceeded", f"{scope}:{key}", f"${committed:.4f} of ${limit:.2f} today; {state.name} skipped")
            raise BudgetExceeded(f"{scope}:{key}", limit, committed)
        return self.budgets.reserve(keys, est.amount)

    async def _enter(self, state: DeploymentState, reservation: Reservation | None, deadline: float) -> float:
        """Take the deployment's semaphore; returns the attempt's timeout (its own, or what the deadline leaves)."""
        if state.semaphore.locked():
            state.stats.waiting += 1
            try:
                async with asyncio.timeout_at(deadline):
                    await state.semaphore.acquire()
            except TimeoutError:
                if reservation is not None:
                    self.budgets.settle(reservation, None)
                raise DeadlineExceeded(state.name, "no free connection before the overall deadline") from None
            finally:
                state.stats.waiting -= 1
        else:
            await state.semaphore.acquire()  # free: returns without suspending
        state.stats.in_flight += 1
        state.breaker.begin()
        left = deadline - asyncio.get_running_loop().time()
        return min(state.deployment.timeout, max(left, 0.001))

    def _exit(self, state: DeploymentState) -> None:
        state.stats.in_flight -= 1
        state.semaphore.release()

    def _succeed(
        self, state: DeploymentState, est: Estimate, reservation: Reservation | None, result: Completion, started: float
    ) -> Completion:
        if state.breaker.success():
            self._emit("breaker_closed", state.name, "a probe succeeded")
        state.stats.record((time.perf_counter() - started) * 1000, False)
        cost = charge(state.price, est, result.tokens_in, result.tokens_out)
        if reservation is not None:
            self.budgets.settle(reservation, cost)
        state.stats.add_usage(result.tokens_in, result.tokens_out, cost)
        self.ledger.add(state.deployment.kind, result.model, result.tokens_in, result.tokens_out, cost)
        result.cost, result.cost_estimated = cost, not est.priced  # a fresh object from the client: ours to fill
        return result

    def _after_failure(
        self, state: DeploymentState, reservation: Reservation | None, e: BaseException, names: Sequence[str],
        failed: set[str], deadline: float, *, answered: bool,
    ) -> ProviderError:
        """Book a failed attempt; return the error when another attempt may follow, raise it otherwise."""
        if reservation is not None:
            self.budgets.settle(reservation, None)
        if not isinstance(e, ProviderError) and not isinstance(e, TimeoutError):
            state.breaker.release()  # cancelled, or the consumer closed the stream: no verdict on anything
            raise e
        state.stats.record(None, True)
        if isinstance(e, TimeoutError) or (
            isinstance(e, ProviderTimeout) and asyncio.get_running_loop().time() >= deadline - 0.001
        ):
            state.breaker.release()
            raise DeadlineExceeded(state.name, "no answer before the overall deadline") from e
        if isinstance(e, RateLimited):
            state.breaker.release()
            state.stats.cooling_until = asyncio.get_running_loop().time() + (
                e.retry_after if e.retry_after is not None else self.backoff_base
            )
        elif isinstance(e, FAILURES):
            if state.breaker.failure():
                self._emit("breaker_open", state.name, f"{state.breaker.failures} failures in a row")
        else:  # RequestRejected: the request itself is at fault, or this deployment's key/model
            state.breaker.release()
            others = [n for n in names if n not in failed and n != state.name]
            if e.status not in DEPLOYMENT_SPECIFIC or not others:
                raise e
        if answered:  # half an answer is out: a retry elsewhere would not continue it
            raise e
        failed.add(state.name)
        return e

    # -- the pool's own health ---------------------------------------------------------------------
    def _still_off(self) -> bool:
        if time.monotonic() < self.disabled_until:
            return True
        self.disabled_until, self.internal_errors = 0.0, 0
        self._emit("pool_enabled", "pool", "cool-down over")
        return False

    def _internal_failure(self, e: Exception) -> None:
        log.exception("the LLM pool failed internally; this request goes to the single-client path", exc_info=e)
        self.internal_errors += 1
        if self.internal_errors >= 3:
            self.disabled_until = time.monotonic() + self.pool_cooldown
            self._emit("pool_disabled", "pool", f"{self.internal_errors} internal errors in a row; off for {self.pool_cooldown:g}s")

    def _emit(self, kind: str, subject: str, detail: str) -> None:
        event = PoolEvent(kind, subject, detail, time.time())
        for listener in self.listeners:
            try:
                listener(event)
            except Exception:
                log.exception("a pool event listener failed on %s", kind)


