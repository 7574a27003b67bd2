"""The LLM pool: slots and priorities, routing, retries, breakers, fallback, budgets and accounting.

One request: take a global slot (priority queue, bounded: full → `PoolBusy` at once), then per attempt
pick a candidate of the alias (`pool.admission`: breaker allows it, budgets fit, not cooling after a
429; routed by the strategy; one that has not failed yet when there is one), take its semaphore,
reserve the budget estimate, call, settle. 429/5xx/timeouts/malformed answers are retried with
exponential backoff and full jitter (a 429's Retry-After is the floor); other 4xx are not. Everything
runs under the overall deadline; cancelling the caller cancels the HTTP request.

If the pool's own machinery raises (a bug, not a provider failure), the request falls back to the
single-client path; after 3 such errors in a row the pool switches itself off for a cool-down.
"""
from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncGenerator, Callable, Sequence
from dataclasses import dataclass

from pool.accounting import Budgets, Estimate, Ledger, Reservation, charge
from pool.admission import Admission
from pool.breaker import Breaker
from pool.config import PoolConfig
from pool.direct import DirectLLM
from pool.errors import (
    BadResponse,
    DeadlineExceeded,
    PoolError,
    ProviderError,
    ProviderTimeout,
    ProviderUnavailable,
    RateLimited,
    UnknownModel,
)
from pool.interface import CallMeta, ChatClient, Completion, Message, StreamEvent, ToolSpec
from pool.routing import Strategy, strategy
from pool.slots import Slots
from pool.snapshot import PoolStatus, build_status
from pool.state import DeploymentState

log = logging.getLogger("chatops.pool")

FAILURES = (ProviderUnavailable, ProviderTimeout, BadResponse)  # count against the breaker
DEPLOYMENT_SPECIFIC = (401, 403, 404)  # a bad key or a missing model: another candidate may work
_META = CallMeta()


@dataclass(frozen=True, slots=True)
class PoolEvent:
    kind: str  # budget_exceeded | breaker_open | breaker_closed | pool_disabled | pool_enabled
    subject: str  # a deployment name, or a budget such as "user:slack:U1"
    detail: str
    at: float


Listener = Callable[[PoolEvent], None]


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
        self.backoff_base = backoff_base
        self.pool_cooldown = pool_cooldown
        self.budgets = Budgets(config.budgets)
        self.admission = Admission(self.states, self.budgets, self.route, self._emit, backoff_base, backoff_cap)
        self.ledger = Ledger()
        self.direct = DirectLLM(config, clients, max_tokens=max_tokens, owns=False, budgets=self.budgets)
        self.listeners: list[Listener] = []
        self.internal_errors = 0
        self.disabled_until = 0.0
        self.name = "pool: " + ", ".join(self.states)

    # -- the LLMService interface ------------------------------------------------------------------
    def models(self) -> list[str]:
        return self.config.names()

    def status(self) -> PoolStatus:
        return build_status(self)

    async def health_check(self) -> PoolStatus:
        """Probe each deployment whose circuit is half-open with a one-token request, so a recovered
        provider closes its circuit without waiting for user traffic; the scheduler calls this."""
        probes = [s for s in self.states.values() if s.breaker.state == "half-open" and s.breaker.allows()]
        await asyncio.gather(*(self._probe(s) for s in probes), return_exceptions=True)
        return self.status()

    async def _probe(self, state: DeploymentState) -> None:
        state.breaker.begin()
        try:
            await state.client.complete([Message("user", "ping")], max_tokens=1, timeout=state.deployment.timeout)
        except (ProviderUnavailable, ProviderTimeout, BadResponse):
            if state.breaker.failure():
                self._emit("breaker_open", state.name, "the health probe failed")
            return
        except BaseException:
            state.breaker.release()
            raise
        if state.breaker.success():
            self._emit("breaker_closed", state.name, "the health probe succeeded")

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
    ) -> AsyncGenerator[StreamEvent, None]:
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
                state, est, reservation, timeout = await self._attempt(
                    names, failed, messages, meta, max_tokens, deadline, attempt, last
                )
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
    ) -> AsyncGenerator[StreamEvent, None]:
        names, deadline, max_tokens = self._begin(model, meta)
        await self._take_slot(meta, deadline)
        try:
            failed: set[str] = set()
            last: ProviderError | None = None
            for attempt in range(self.retries + len(names)):  # retries, plus one try per fallback candidate
                state, est, reservation, timeout = await self._attempt(
                    names, failed, messages, meta, max_tokens, deadline, attempt, last
                )
                started = time.perf_counter()
                answered, result = False, None
                events = state.client.stream(messages, tools=tools, max_tokens=max_tokens, timeout=timeout)
                try:
                    while True:
                        async with asyncio.timeout_at(deadline):  # the client bounds each gap; this the whole
                            event = await anext(events, None)
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
                    await events.aclose()
                    last = self._after_failure(state, reservation, e, names, failed, deadline, answered=answered)
                    continue
                self._exit(state)
                await events.aclose()
                yield self._succeed(state, est, reservation, result, started)
                return
            assert last is not None
            raise last
        finally:
            self.slots.release()

    async def _attempt(
        self, names: tuple[str, ...], failed: set[str], messages: Sequence[Message], meta: CallMeta, max_tokens: int,
        deadline: float, attempt: int, last: ProviderError | None,
    ) -> tuple[DeploymentState, Estimate, Reservation | None, float]:
        """Choose a candidate, book its budgets (no await between the check and the booking), take a
        connection: (deployment, estimate, reservation, this attempt's timeout)."""
        state, est, keys = await self.admission.choose(names, failed, messages, meta, max_tokens, deadline, attempt, last)
        reservation = self.admission.reserve(state, est, keys) if keys else None
        return state, est, reservation, await self._enter(state, reservation, deadline)

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
            self._emit(
                "pool_disabled", "pool", f"{self.internal_errors} internal errors in a row; off for {self.pool_cooldown:g}s"
            )

    def _emit(self, kind: str, subject: str, detail: str) -> None:
        event = PoolEvent(kind, subject, detail, time.time())
        for listener in self.listeners:
            try:
                listener(event)
            except Exception:
                log.exception("a pool event listener failed on %s", kind)


