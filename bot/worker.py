"""The worker loop: claim executions with a lease, run them with bounded concurrency, deliver, finish.

A heartbeat keeps the leases of running executions alive; when this process dies the leases run out
and another worker claims the rows again. The handler's reply is stored before delivery when it cost
something (LLM tokens), and the final delivery is recorded in the same transaction that completes the
row, so a retry neither pays twice nor posts twice.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Callable
from typing import Any

from prometheus_client import Counter

from bot import metrics
from bot.adapters.base import Outbound, Outbounds
from bot.adapters.messages import t
from bot.doorbell import Doorbell
from bot.gate import REFUSED
from bot.ratelimit import RateLimiter
from bot.storage.access import AccessStore
from bot.storage.claimed import ClaimedExecution
from bot.storage.models import Status
from bot.storage.store import Claim, Store
from commands.context import Context, Services
from commands.dispatch import Outcome, run_handler
from commands.errors import UnknownCommand
from commands.model import Conversation, Reply
from commands.registry import Args, Command, Registry

DEADLINES = Counter("chatops_execution_deadlines_total", "Executions stopped at their deadline, by kind", ["kind"])
log = logging.getLogger("chatops.worker")


class LiveMessage:
    """The one message of an execution on its platform: posted once, then edited in place."""

    def __init__(self, store: Store, adapter: Outbound, execution_id: int, conversation: Conversation, ref: str | None) -> None:
        self._store, self._adapter = store, adapter
        self._id, self._conversation = execution_id, conversation
        self.ref = ref
        self._last_edit = 0.0
        self._broken = False

    async def show(self, reply: Reply) -> None:
        """Best effort: a progress update that cannot be shown never fails the work itself."""
        if self._broken:
            return
        try:
            await self._show(reply)
        except Exception as e:
            self._broken = True
            log.warning("execution %s: progress update to %s failed (%s); the final reply will still be sent",
                        self._id, self._adapter.platform, type(e).__name__)

    async def _show(self, reply: Reply) -> None:
        if self.ref is None:
            self.ref = await self._adapter.post(self._conversation, reply, final=False)
            self._last_edit = time.monotonic()
            if self.ref is not None:
                await self._store.record_delivery(self._id, f"{self._id}:live", self._adapter.platform, self.ref)
            return
        # Platforms rate-limit edits; an intermediate state can be dropped since a later one replaces it.
        if time.monotonic() - self._last_edit < self._adapter.min_edit_interval:
            return
        self._last_edit = time.monotonic()
        await self._adapter.update(self._conversation, self.ref, reply, final=False)

    async def finalize(self, reply: Reply) -> str | None:
        if self.ref is None:
            return await self._adapter.post(self._conversation, reply, final=True)
        await self._adapter.update(self._conversation, self.ref, reply, final=True)
        return self.ref


class Worker:
    def __init__(
        self,
        store: Store,
        registry: Registry,
        services: Services,
        outbounds: Outbounds,
        claim: Claim,
        doorbell: Doorbell,
        *,
        concurrency: int = 8,
        lease_seconds: float = 30.0,
        poll_interval: float = 0.5,
        retry_delay: float = 30.0,
        audit: AccessStore | None = None,
        deadline: Callable[[Command], float] = lambda cmd: cmd.deadline or 120.0,
        rates: RateLimiter | None = None,
    ) -> None:
        self.store, self.registry, self.services, self.outbounds = store, registry, services, outbounds
        self.retry_delay, self.audit, self.deadline, self.rates = retry_delay, audit, deadline, rates
        self.claim = claim
        self.concurrency = concurrency
        self.lease_seconds = lease_seconds
        self.poll_interval = poll_interval
        self._running: dict[int, asyncio.Task[None]] = {}
        # the intake rings after storing work; a finished execution and stop ring it too (a free slot)
        self.doorbell = doorbell
        self.finished = 0

    async def run(self, stop: asyncio.Event) -> None:
        heartbeat = asyncio.create_task(self._heartbeat(stop), name="worker-heartbeat")

        async def ring_on_stop() -> None:
            await stop.wait()
            self.doorbell.ring()

        stopper = asyncio.create_task(ring_on_stop(), name="worker-stop")
        try:
            while not stop.is_set():
                seen = self.doorbell.rings
                free = self.concurrency - len(self._running)
                claimed = 0
                if free > 0:
                    try:
                        rows = await self.store.claim(self.claim, free, self.lease_seconds)
                    except Exception:
                        log.exception("claiming executions failed; retrying after %.1fs", self.poll_interval)
                        rows = []
                    claimed = len(rows)
                    for row in rows:
                        self._start(row)
                if free > 0 and claimed == free:
                    continue  # the queue may hold more; block only when it is drained or slots are full
                await self.doorbell.wait(seen, self.poll_interval)
        finally:
            heartbeat.cancel()
            stopper.cancel()
            if self._running:
                # Let running executions finish briefly; what remains is re-claimed after the lease.
                await asyncio.wait(list(self._running.values()), timeout=5)
                for task in self._running.values():
                    task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await heartbeat

    def _start(self, row: ClaimedExecution) -> None:
        task = asyncio.create_task(self._execute(row), name=f"execution-{row.id}")
        self._running[row.id] = task
        metrics.RUNNING.set(len(self._running))

        def done(_: asyncio.Task[None], eid: int = row.id) -> None:
            self._running.pop(eid, None)
            metrics.RUNNING.set(len(self._running))
            self.doorbell.ring()

        task.add_done_callback(done)

    async def _heartbeat(self, stop: asyncio.Event) -> None:
        interval = self.lease_seconds / 3
        beats = 0
        while not stop.is_set():
            await asyncio.sleep(interval)
            beats += 1
            try:
                await self.store.renew(self.claim.owner, list(self._running), self.lease_seconds)
                if beats % 3 == 0:
                    await self.store.give_up_exhausted()
            except Exception:
                log.exception("renewing leases failed")

    async def _execute(self, row: ClaimedExecution) -> None:
        started = time.perf_counter()
        eid, kind = row.id, row.kind
        status = Status.FAILED
        try:
            status = await self._run_and_deliver(row)
        except Exception:
            log.exception("execution %s (%s) crashed in the worker", eid, kind)
        finally:
            self.finished += 1
            metrics.EXECUTIONS.labels(kind, status).inc()
            metrics.EXECUTION_SECONDS.labels(kind).observe(time.perf_counter() - started)

    async def _run_and_deliver(self, row: ClaimedExecution) -> Status:
        eid = row.id
        owner = self.claim.owner
        conversation = row.conversation
        known = await self.store.deliveries(eid) if row.attempts > 1 else {}
        if f"{eid}:final" in known:  # delivered before a crash: only the bookkeeping is missing
            final = Status.FAILED if row.error else Status.COMPLETED
            await self.store.finish(eid, owner, final, {}, None)
            return final
        try:
            adapter = self.outbounds.for_conversation(conversation)
        except LookupError as e:
            await self.store.finish(eid, owner, Status.FAILED, {"error": str(e)}, None)
            return Status.FAILED
        live = LiveMessage(self.store, adapter, eid, conversation, known.get(f"{eid}:live"))

        t0 = time.perf_counter()
        saved = row.reply is not None
        if row.reply is not None:  # an earlier attempt ran the handler; only the delivery is left
            reply = Reply.from_json(row.reply)
            # `error` may hold the last delivery failure; the handler's outcome is the reply's flag
            error = row.error if reply.error else None
            fields: dict[str, Any] = {"error": error}
        else:
            outcome, ctx = await self._run_handler(row, live, conversation)
            if outcome.retry and not row.last_attempt:
                # transient (GitHub 5xx, provider timeout) and nobody is waiting: nothing is posted yet
                delay = min(600.0, self.retry_delay * 2 ** (row.attempts - 1) * random.uniform(0.8, 1.2))
                log.warning("execution %s (%s): %s; attempt %d of %d again in %.0fs",
                            eid, row.kind, outcome.error, row.attempts + 1, row.max_attempts, delay)
                await self.store.retry_later(eid, owner, outcome.error or "transient failure", delay=delay)
                return Status.PENDING
            reply, error = outcome.reply, outcome.error
            if outcome.refused is not None:
                await self._refused(row, conversation, outcome.refused)
            u = ctx.usage
            if self.rates is not None:  # the person's hourly LLM allowance (RATE_LIMITS tokens=…)
                self.rates.charge("tokens", row.requester, u.tokens_in + u.tokens_out)
            fields = {
                "provider": u.provider, "model": u.model, "tokens_in": u.tokens_in, "tokens_out": u.tokens_out,
                "cost": u.cost, "latency_ms": (time.perf_counter() - t0) * 1000, "error": error,
                "result_summary": reply.plain_text()[:500], "tool_transcript": u.tools or None,
            }
            if u.tokens_in or u.tokens_out:
                saved = await self.store.save_reply(eid, owner, {**fields, "reply": reply.to_json()})

        try:
            ref = await live.finalize(reply)
        except Exception as e:
            metrics.DELIVERY_FAILURES.labels(adapter.platform).inc()
            # platform and channel only: a Discord thread string carries an interaction token
            reason = f"delivery to {conversation.platform}:{conversation.channel} failed: {type(e).__name__}: {e}"
            log.warning("execution %s: %s", eid, reason)
            if row.last_attempt:
                await self.store.finish(eid, owner, Status.FAILED, {**fields, "error": reason}, None)
                return Status.FAILED
            if not saved:
                await self.store.save_reply(eid, owner, {**fields, "reply": reply.to_json()})
            await self.store.retry_later(eid, owner, reason, delay=min(60.0, 2 ** row.attempts * random.uniform(0.5, 1.0)))
            return Status.PENDING

        final = Status.FAILED if error else Status.COMPLETED
        delivery = {"key": f"{eid}:final", "platform": adapter.platform, "message_ref": ref}
        if not await self.store.finish(eid, owner, final, fields, delivery):
            log.warning("execution %s: lease lost before finishing (another worker took it over)", eid)
        return final

    async def _refused(self, row: ClaimedExecution, conversation: Conversation, action: str) -> None:
        """A refusal inside the handler (a tool, a repository) is counted and audited as the gate's are;
        the Execution row (FAILED, with the same words) records it in any case."""
        REFUSED.labels("permission").inc()
        if self.audit is None:
            return
        try:
            await self.audit.record(row.requester, f"{conversation.platform}:{conversation.channel}", action, "refused",
                                    detail={"reason": "permission", "trigger": row.trigger}, execution_id=row.id)
        except Exception:  # the execution row still says what happened
            log.warning("audit write failed for a refusal of %s in execution %s", row.requester, row.id, exc_info=True)

    async def _run_handler(self, row: ClaimedExecution, live: LiveMessage, conversation: Conversation) -> tuple[Outcome, Context]:
        ctx = Context(
            execution_id=row.id,
            requester=row.requester,
            conversation=conversation,
            locale=row.locale,
            trigger=row.trigger,
            services=self.services,
            outbox=live,
            roles=row.roles,
        )
        try:
            cmd = self.registry.get(row.kind)
        except UnknownCommand:
            text = t("handler_gone", row.locale, kind=row.kind)
            return Outcome(Reply.failure(text), text), ctx
        limit = self.deadline(cmd)
        try:
            # the handler is cancelled at its deadline (a stalled stream, a runaway tool, `/noop 1e9`): the
            # execution ends FAILED with the reason rather than holding a slot and its lease for ever
            async with asyncio.timeout(limit):
                return await run_handler(cmd, ctx, Args(row.args)), ctx
        except TimeoutError:
            DEADLINES.labels(cmd.name).inc()
            log.warning("execution %s (%s) stopped at its deadline of %gs", row.id, cmd.name, limit)
            text = t("worker.deadline", row.locale, name=cmd.name, seconds=f"{limit:g}")
            return Outcome(Reply.failure(text), f"deadline: stopped after {limit:g}s"), ctx
