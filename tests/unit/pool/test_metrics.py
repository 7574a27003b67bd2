"""The pool's Prometheus collector renders the snapshot: per deployment gauges, totals per model."""
from __future__ import annotations

from prometheus_client import CollectorRegistry, generate_latest

from pool.fake import FakeLLM
from pool.metrics import PoolCollector
from tests.unit.pool.helpers import QUESTION, deployment, make_pool


async def test_a_scrape_shows_breaker_load_and_spend(fake_llm: FakeLLM) -> None:
    pool, _ = make_pool(deployment("main", fake_llm, price_in=1.0, price_out=1.0))
    registry = CollectorRegistry()
    registry.register(PoolCollector(pool.status))
    try:
        result = await pool.complete(QUESTION)
        text = generate_latest(registry).decode()
        assert 'chatops_llm_breaker_state{deployment="main",kind="openai",model="gpt-4o-mini"} 0.0' in text
        assert f'chatops_llm_tokens_total{{direction="in",kind="openai",model="gpt-4o-mini"}} {float(result.tokens_in)}' in text
        assert "chatops_llm_pool_enabled 1.0" in text and "chatops_llm_cost_usd_total" in text
    finally:
        await pool.aclose()
