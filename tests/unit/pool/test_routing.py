"""Routing among healthy candidates: least-busy (default), latency EWMA, lowest cost."""
from __future__ import annotations

import asyncio

from pool.fake import Behavior, FakeLLM
from tests.unit.pool.conftest import FakeFactory
from tests.unit.pool.helpers import QUESTION, deployment, make_pool


async def test_least_busy_spreads_concurrent_requests(fake_llm: FakeLLM, fake_factory: FakeFactory) -> None:
    other = await fake_factory()
    fake_llm.behavior = other.behavior = Behavior(latency=0.1)
    pool, _ = make_pool(deployment("a", fake_llm), deployment("b", other), size=10)
    try:
        results = await asyncio.gather(*(pool.complete(QUESTION) for _ in range(6)))
        assert sorted(r.provider for r in results) == ["a", "a", "a", "b", "b", "b"]
    finally:
        await pool.aclose()


async def test_weight_gives_a_deployment_a_larger_share(fake_llm: FakeLLM, fake_factory: FakeFactory) -> None:
    other = await fake_factory()
    fake_llm.behavior = other.behavior = Behavior(latency=0.1)
    pool, _ = make_pool(deployment("big", fake_llm, weight=2.0), deployment("small", other), size=10)
    try:
        results = await asyncio.gather(*(pool.complete(QUESTION) for _ in range(6)))
        assert [r.provider for r in results].count("big") == 4
    finally:
        await pool.aclose()


async def test_latency_routing_settles_on_the_faster_deployment(fake_llm: FakeLLM, fake_factory: FakeFactory) -> None:
    fast = await fake_factory()
    fake_llm.behavior = Behavior(latency=0.15)
    pool, _ = make_pool(deployment("slow", fake_llm), deployment("fast", fast), routing="latency")
    try:
        used = [(await pool.complete(QUESTION)).provider for _ in range(5)]
        assert used == ["slow", "fast", "fast", "fast", "fast"]  # each measured once, then the faster wins
    finally:
        await pool.aclose()


async def test_cost_routing_prefers_the_cheaper_candidate(fake_llm: FakeLLM, fake_factory: FakeFactory) -> None:
    cheap = await fake_factory()
    pool, _ = make_pool(
        deployment("dear", fake_llm, price_in=10.0, price_out=30.0), deployment("cheap", cheap, price_in=0.1, price_out=0.4),
        routing="cost",
    )
    try:
        assert {(await pool.complete(QUESTION)).provider for _ in range(3)} == {"cheap"}
        assert not fake_llm.requests
    finally:
        await pool.aclose()
