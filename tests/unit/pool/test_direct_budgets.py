"""The single-client path (ENABLE_LLM_POOL=false) keeps the [budgets] table: reserved before the call,
settled after it, refused naming the budget; the pool's fallback spends from the pool's own books."""
from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

import pytest

from pool.accounting import estimate
from pool.config import Deployment, PoolConfig
from pool.direct import DirectLLM, make_client
from pool.errors import BudgetExceeded
from pool.factory import build_llm
from pool.fake import Behavior, FakeLLM
from pool.interface import CallMeta, Completion, Message
from pool.settings import LLMSettings
from tests.unit.pool.helpers import QUESTION, deployment, make_pool, said


def direct(*deps: Deployment, budgets: dict[str, dict[str, float]], aliases: dict[str, tuple[str, ...]] | None = None,
           max_tokens: int = 100) -> DirectLLM:
    config = PoolConfig(tuple(deps), {"default": tuple(d.name for d in deps), **(aliases or {})}, budgets)
    return DirectLLM(config, {d.name: make_client(d, max_tokens=max_tokens) for d in deps}, max_tokens=max_tokens)


async def test_a_repository_with_a_zero_budget_is_refused_before_any_request(fake_llm: FakeLLM) -> None:
    llm = direct(deployment("only", fake_llm, price_in=1.0, price_out=1.0), budgets={"repo": {"octo/widgets": 0.0}})
    try:
        meta = CallMeta(priority=10, user="octocat", channel="github:octo/widgets", repo="octo/widgets")
        with pytest.raises(BudgetExceeded) as refused:
            await llm.complete(QUESTION, meta=meta)
        assert refused.value.budget == "repo:octo/widgets" and refused.value.limit == 0.0
        with pytest.raises(BudgetExceeded, match="repo:octo/widgets"):
            async for _ in llm.stream(QUESTION, meta=meta):
                pass
        assert fake_llm.requests == []
        # another repository has no line of its own and no "*": not limited
        answer = await llm.complete(QUESTION, meta=CallMeta(repo="octo/other"))
        assert isinstance(answer, Completion) and answer.cost > 0
    finally:
        await llm.aclose()


async def test_spending_is_settled_at_the_real_cost_and_concurrent_calls_cannot_overshoot(fake_llm: FakeLLM) -> None:
    per_request = estimate((1.0, 1.0), QUESTION, 100).amount
    limit = per_request * 3.5  # room for three reservations at once, not four
    llm = direct(deployment("only", fake_llm, price_in=1.0, price_out=1.0), budgets={"user": {"alice": limit}})
    fake_llm.behavior = Behavior(latency=0.1)
    try:
        meta = CallMeta(user="alice")
        results = await asyncio.gather(*(llm.complete(QUESTION, meta=meta) for _ in range(8)), return_exceptions=True)
        answered = [r for r in results if isinstance(r, Completion)]
        refused = [r for r in results if isinstance(r, BudgetExceeded)]
        assert (len(answered), len(refused)) == (3, 5) and refused[0].budget == "user:alice"
        assert len(fake_llm.requests) == 3
        spent = llm.budgets.spent[("user", "alice")]
        assert spent == pytest.approx(sum(r.cost for r in answered)) and spent < 3 * per_request  # settled, not the estimate
        assert llm.budgets.reserved[("user", "alice")] == pytest.approx(0.0)
    finally:
        await llm.aclose()


async def test_a_stream_books_its_cost_and_one_closed_early_books_nothing(fake_llm: FakeLLM) -> None:
    llm = direct(deployment("only", fake_llm, price_in=1.0, price_out=1.0), budgets={"channel": {"*": 1.0}})
    fake_llm.behavior = Behavior(reply="one two three four")
    meta = CallMeta(channel="slack:C1")
    try:
        events = [e async for e in llm.stream(QUESTION, meta=meta)]
        assert isinstance(events[-1], Completion)
        assert llm.budgets.spent[("channel", "slack:C1")] == pytest.approx(events[-1].cost)
        async with contextlib.aclosing(llm.stream(QUESTION, meta=meta)) as stream:  # type: ignore[type-var]
            async for _ in stream:
                break  # the consumer stops at the first token
        assert llm.budgets.spent[("channel", "slack:C1")] == pytest.approx(events[-1].cost)
        assert llm.budgets.reserved[("channel", "slack:C1")] == pytest.approx(0.0)
    finally:
        await llm.aclose()


async def test_an_exhausted_deployment_is_skipped_for_the_next_candidate_as_in_the_pool(fake_llm: FakeLLM) -> None:
    llm = direct(
        deployment("dear", fake_llm, price_in=1.0, price_out=1.0), deployment("cheap", fake_llm, model="gpt-cheap", price_in=0, price_out=0),
        budgets={"deployment": {"dear": 0.0}},
    )
    try:
        answer = await llm.complete([Message("user", "hello")])
        assert answer.provider == "cheap" and fake_llm.requests[-1]["body"]["model"] == "gpt-cheap"
        assert said(fake_llm) == ["hello"]
    finally:
        await llm.aclose()


async def test_the_pools_fallback_path_spends_from_the_pools_budgets(fake_llm: FakeLLM) -> None:
    pool, _ = make_pool(deployment("only", fake_llm), budgets={"user": {"mallory": 0.0}})
    try:
        assert pool.direct.budgets is pool.budgets
        with pytest.raises(BudgetExceeded, match="user:mallory"):
            await pool.direct.complete(QUESTION, meta=CallMeta(user="mallory"))
    finally:
        await pool.aclose()


async def test_with_the_pool_disabled_the_config_files_budgets_apply(fake_llm: FakeLLM, tmp_path: Path) -> None:
    config = tmp_path / "llm.toml"
    config.write_text(
        f'[[deployment]]\nname = "fake"\nkind = "openai"\nbase_url = "{fake_llm.url}"\nmodel = "gpt-4o-mini"\n\n'
        '[budgets]\nrepo = { "octo/widgets" = 0.0 }\n'
    )
    llm = build_llm(LLMSettings(llm_config_file=config, enable_llm_pool=False))
    assert isinstance(llm, DirectLLM)
    try:
        assert llm.budgets.limits == {"repo": {"octo/widgets": 0.0}}
        with pytest.raises(BudgetExceeded, match="repo:octo/widgets"):
            await llm.complete(QUESTION, meta=CallMeta(repo="octo/widgets"))
        assert fake_llm.requests == []
    finally:
        await llm.aclose()
