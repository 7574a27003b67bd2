"""The pool against fake LLM servers: retries, breaker, fallback, deadline, queue, priorities, fallback path."""
from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from pool.errors import (
    CircuitOpen,
    DeadlineExceeded,
    PoolBusy,
    ProviderUnavailable,
    RequestRejected,
    UnknownModel,
)
from pool.fake import Behavior, FakeLLM
from pool.interface import CallMeta, Completion, Message
from pool.pool import LLMPool
from tests.unit.pool.conftest import FakeFactory
from tests.unit.pool.helpers import QUESTION, deployment, make_pool, said


@pytest.fixture
async def closing() -> AsyncIterator[list[LLMPool]]:
    pools: list[LLMPool] = []
    yield pools
    for p in pools:
        await p.aclose()


async def until(predicate, timeout: float = 3.0) -> None:  # type: ignore[no-untyped-def]
    async with asyncio.timeout(timeout):
        while not predicate():
            await asyncio.sleep(0.005)


async def test_a_429_is_retried_after_the_retry_after_it_names(fake_llm: FakeLLM, closing: list[LLMPool]) -> None:
    pool, _ = make_pool(deployment("only", fake_llm), retries=2)
    closing.append(pool)
    fake_llm.script.append(Behavior(status=429, retry_after=0.4))
    result = await pool.complete(QUESTION)
    assert result.text == "echo: what is a lease?"
    first, second = fake_llm.requests
    assert second["at"] - first["at"] >= 0.4


async def test_other_4xx_are_not_retried(fake_llm: FakeLLM, closing: list[LLMPool]) -> None:
    pool, _ = make_pool(deployment("only", fake_llm), retries=3)
    closing.append(pool)
    fake_llm.script.append(Behavior(status=400))
    with pytest.raises(RequestRejected, match="400"):
        await pool.complete(QUESTION)
    assert len(fake_llm.requests) == 1


async def test_5xx_is_retried_with_backoff_on_the_same_deployment(fake_llm: FakeLLM, closing: list[LLMPool]) -> None:
    pool, _ = make_pool(deployment("only", fake_llm), retries=2)
    closing.append(pool)
    fake_llm.script.extend([Behavior(status=502), Behavior(status=503)])
    assert (await pool.complete(QUESTION)).text.startswith("echo:")
    assert len(fake_llm.requests) == 3
    fake_llm.script.extend([Behavior(status=500)] * 3)
    with pytest.raises(ProviderUnavailable, match="500"):
        await pool.complete(QUESTION)
    assert len(fake_llm.requests) == 6  # 1 + 2 retries, then the error


async def test_breaker_opens_after_three_failures_and_recovers_through_one_half_open_probe(
    fake_llm: FakeLLM, closing: list[LLMPool]
) -> None:
    pool, events = make_pool(deployment("only", fake_llm), retries=0, breaker_cooldown=0.6)
    closing.append(pool)
    fake_llm.behavior = Behavior(status=500)
    for _ in range(3):
        with pytest.raises(ProviderUnavailable):
            await pool.complete(QUESTION)
    assert pool.status().deployments[0].state == "open"
    assert [(e.kind, e.subject) for e in events] == [("breaker_open", "only")]
    with pytest.raises(CircuitOpen, match="only"):
        await pool.complete(QUESTION)
    assert len(fake_llm.requests) == 3  # the open circuit kept the fourth away from the provider

    fake_llm.behavior = Behavior(latency=0.2)
    await until(lambda: pool.status().deployments[0].state == "half-open")
    probe = asyncio.create_task(pool.complete(QUESTION))
    await until(lambda: len(fake_llm.requests) == 4)
    with pytest.raises(CircuitOpen):  # only one probe at a time
        await pool.complete(QUESTION)
    assert (await probe).text.startswith("echo:")
    assert pool.status().deployments[0].state == "closed"
    assert events[-1].kind == "breaker_closed"
    assert (await pool.complete(QUESTION)).text.startswith("echo:")


async def test_a_failed_probe_opens_the_circuit_again(fake_llm: FakeLLM, closing: list[LLMPool]) -> None:
    pool, events = make_pool(deployment("only", fake_llm), retries=0, breaker_cooldown=0.2)
    closing.append(pool)
    fake_llm.behavior = Behavior(status=503)
    for _ in range(3):
        with pytest.raises(ProviderUnavailable):
            await pool.complete(QUESTION)
    await until(lambda: pool.status().deployments[0].state == "half-open")
    with pytest.raises(ProviderUnavailable):
        await pool.complete(QUESTION)
    assert pool.status().deployments[0].state == "open"
    assert [e.kind for e in events] == ["breaker_open", "breaker_open"]


async def test_a_failing_deployment_falls_back_to_the_next_candidate(
    fake_llm: FakeLLM, fake_factory: FakeFactory, closing: list[LLMPool]
) -> None:
    second = await fake_factory()
    pool, _ = make_pool(deployment("first", fake_llm), deployment("second", second), retries=0)
    closing.append(pool)
    fake_llm.behavior = Behavior(status=500)
    result = await pool.complete(QUESTION)
    assert result.provider == "second" and result.text.startswith("echo:")
    assert len(fake_llm.requests) == 1 and len(second.requests) == 1


async def test_a_bad_key_on_one_candidate_falls_back_but_a_bad_request_does_not(
    fake_llm: FakeLLM, fake_factory: FakeFactory, closing: list[LLMPool]
) -> None:
    second = await fake_factory()
    pool, _ = make_pool(deployment("first", fake_llm), deployment("second", second), retries=0)
    closing.append(pool)
    fake_llm.script.append(Behavior(status=401))
    assert (await pool.complete(QUESTION)).provider == "second"
    fake_llm.script.append(Behavior(status=400))
    with pytest.raises(RequestRejected):
        await pool.complete(QUESTION)
    assert len(second.requests) == 1


async def test_the_deadline_cancels_a_hung_request(fake_llm: FakeLLM, closing: list[LLMPool]) -> None:
    pool, _ = make_pool(deployment("only", fake_llm, timeout=30), retries=2)
    closing.append(pool)
    fake_llm.behavior = Behavior(hang=True)
    with pytest.raises(DeadlineExceeded, match="deadline"):
        await pool.complete(QUESTION, meta=CallMeta(deadline=0.3))
    await until(lambda: fake_llm.disconnects == 1)
    assert len(fake_llm.requests) == 1  # no retry past the deadline
    status = pool.status()
    assert status.slots_busy == 0 and status.deployments[0].in_flight == 0


async def test_cancelling_the_caller_cancels_the_http_request(fake_llm: FakeLLM, closing: list[LLMPool]) -> None:
    pool, _ = make_pool(deployment("only", fake_llm, timeout=30))
    closing.append(pool)
    fake_llm.behavior = Behavior(hang=True)
    task = asyncio.create_task(pool.complete(QUESTION))
    await until(lambda: len(fake_llm.requests) == 1)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await until(lambda: fake_llm.disconnects == 1)
    assert pool.status().slots_busy == 0 and pool.status().deployments[0].in_flight == 0
    assert pool.status().deployments[0].state == "closed"  # a cancellation says nothing about health


async def test_a_full_queue_answers_busy_with_the_position_at_once(fake_llm: FakeLLM, closing: list[LLMPool]) -> None:
    pool, _ = make_pool(deployment("only", fake_llm), size=1, queue=1)
    closing.append(pool)
    fake_llm.behavior = Behavior(latency=0.3)
    running = asyncio.create_task(pool.complete(QUESTION))
    await until(lambda: pool.slots.busy == 1)
    queued = asyncio.create_task(pool.complete(QUESTION))
    await until(lambda: pool.slots.waiting == 1)
    with pytest.raises(PoolBusy) as busy:
        await pool.complete(QUESTION)
    assert busy.value.position == 2 and busy.value.queue_size == 1
    assert all(isinstance(r, Completion) for r in await asyncio.gather(running, queued))


async def test_interactive_work_goes_before_github_before_scheduled(fake_llm: FakeLLM, closing: list[LLMPool]) -> None:
    pool, _ = make_pool(deployment("only", fake_llm), size=1, queue=10)
    closing.append(pool)
    fake_llm.script.append(Behavior(latency=0.3))  # the first holds the only slot while the others queue

    def ask(text: str, priority: int) -> asyncio.Task[Completion]:
        return asyncio.create_task(pool.complete([Message("user", text)], meta=CallMeta(priority=priority)))

    first = ask("first", 0)
    await until(lambda: pool.slots.busy == 1)
    tasks = [ask("scheduled", 20), ask("github", 10), ask("chat", 0)]
    await until(lambda: pool.slots.waiting == 3)
    await asyncio.gather(first, *tasks)
    assert said(fake_llm) == ["first", "chat", "github", "scheduled"]


async def test_an_urgent_request_displaces_the_least_urgent_waiter(fake_llm: FakeLLM, closing: list[LLMPool]) -> None:
    pool, _ = make_pool(deployment("only", fake_llm), size=1, queue=1)
    closing.append(pool)
    fake_llm.script.append(Behavior(latency=0.3))
    first = asyncio.create_task(pool.complete([Message("user", "first")]))
    await until(lambda: pool.slots.busy == 1)
    scheduled = asyncio.create_task(pool.complete([Message("user", "scheduled")], meta=CallMeta(priority=20)))
    await until(lambda: pool.slots.waiting == 1)
    chat = asyncio.create_task(pool.complete([Message("user", "chat")], meta=CallMeta(priority=0)))
    with pytest.raises(PoolBusy):
        await scheduled
    await asyncio.gather(first, chat)
    assert said(fake_llm) == ["first", "chat"]


async def test_streaming_through_the_pool_retries_before_the_first_token(fake_llm: FakeLLM, closing: list[LLMPool]) -> None:
    pool, _ = make_pool(deployment("only", fake_llm, price_in=1.0, price_out=2.0))
    closing.append(pool)
    fake_llm.script.append(Behavior(status=503))
    events = [e async for e in pool.stream(QUESTION)]
    text, final = events[:-1], events[-1]
    assert "".join(text) == "echo: what is a lease?"  # once, not twice
    assert isinstance(final, Completion) and final.cost == (final.tokens_in * 1.0 + final.tokens_out * 2.0) / 1e6
    assert pool.status().slots_busy == 0


async def test_an_unknown_alias_names_the_known_ones(fake_llm: FakeLLM, closing: list[LLMPool]) -> None:
    pool, _ = make_pool(deployment("main", fake_llm), aliases={"fast": ("main",)})
    closing.append(pool)
    with pytest.raises(UnknownModel, match="known: default, fast, main"):
        await pool.complete(QUESTION, model="smart")
    assert (await pool.complete(QUESTION, model="fast")).provider == "main"


async def test_the_pool_switches_itself_off_after_three_internal_errors_and_comes_back(
    fake_llm: FakeLLM, fake_factory: FakeFactory, closing: list[LLMPool]
) -> None:
    second = await fake_factory()

    def broken_router(options):  # type: ignore[no-untyped-def]
        raise RuntimeError("router bug")

    pool, events = make_pool(
        deployment("a", fake_llm), deployment("b", second), routing=broken_router, pool_cooldown=1.0
    )
    closing.append(pool)
    for _ in range(3):  # every request is still answered, by the single-client path
        assert (await pool.complete(QUESTION)).provider == "a"
    assert not pool.status().enabled
    assert [e.kind for e in events] == ["pool_disabled"]
    assert (await pool.complete(QUESTION)).provider == "a"  # off: straight to the client, router not consulted
    await asyncio.sleep(1.05)
    assert (await pool.complete(QUESTION)).provider == "a"
    assert [e.kind for e in events] == ["pool_disabled", "pool_enabled"]
    assert pool.status().enabled and pool.internal_errors == 1


async def test_status_reports_latency_errors_and_todays_usage(fake_llm: FakeLLM, closing: list[LLMPool]) -> None:
    pool, _ = make_pool(deployment("only", fake_llm), retries=1)
    closing.append(pool)
    fake_llm.script.append(Behavior(status=500))
    result = await pool.complete(QUESTION)
    d = pool.status().deployments[0]
    assert (d.state, d.in_flight, d.waiting, d.requests_today) == ("closed", 0, 0, 2)
    assert d.error_rate == 0.5 and d.p50_ms is not None and d.p95_ms is not None
    assert (d.tokens_in_today, d.tokens_out_today) == (result.tokens_in, result.tokens_out)
    assert d.cost_today == pytest.approx(result.cost) and result.cost > 0


async def test_a_stream_cut_after_its_first_tokens_is_not_retried(fake_llm: FakeLLM, closing: list[LLMPool]) -> None:
    pool, _ = make_pool(deployment("only", fake_llm), retries=2)
    closing.append(pool)
    fake_llm.script.append(Behavior(cut_after=3))
    got: list[str] = []
    with pytest.raises(ProviderUnavailable):
        async for event in pool.stream(QUESTION):
            got.append(event)  # type: ignore[arg-type]
    assert got == ["echo:", " what"]  # the role chunk, then two words, then the connection dropped
    assert len(fake_llm.requests) == 1  # a second answer would not continue the first
    status = pool.status()
    assert status.slots_busy == 0 and status.deployments[0].requests_today == 1


async def test_a_health_check_closes_a_recovered_circuit_without_user_traffic(fake_llm: FakeLLM, closing: list[LLMPool]) -> None:
    pool, events = make_pool(deployment("only", fake_llm), retries=0, breaker_cooldown=0.5)
    closing.append(pool)
    fake_llm.behavior = Behavior(status=500)
    for _ in range(3):
        with pytest.raises(ProviderUnavailable):
            await pool.complete(QUESTION)
    assert (await pool.health_check()).deployments[0].state == "open"  # still cooling down: not probed
    assert len(fake_llm.requests) == 3
    await until(lambda: pool.status().deployments[0].state == "half-open")
    assert (await pool.health_check()).deployments[0].state == "open"  # still failing: open again
    fake_llm.behavior = Behavior()
    await until(lambda: pool.status().deployments[0].state == "half-open")
    assert (await pool.health_check()).deployments[0].state == "closed"
    assert fake_llm.requests[-1]["body"]["max_tokens"] == 1
    assert [e.kind for e in events] == ["breaker_open", "breaker_open", "breaker_closed"]


async def test_a_caller_that_stops_reading_a_stream_closes_it_and_frees_the_slot(
    fake_llm: FakeLLM, closing: list[LLMPool]
) -> None:
    pool, _ = make_pool(deployment("only", fake_llm))
    closing.append(pool)
    fake_llm.behavior = Behavior(chunk_delay=0.5)
    stream = pool.stream(QUESTION)
    assert await anext(stream) == "echo:"
    await stream.aclose()  # type: ignore[attr-defined]
    await until(lambda: fake_llm.disconnects == 1)  # the provider stopped writing the answer
    status = pool.status()
    assert status.slots_busy == 0 and status.deployments[0].in_flight == 0
    assert status.deployments[0].state == "closed" and status.deployments[0].requests_today == 0
