"""Costs from the price table, unpriced models charged at the estimate, budgets that hold under concurrency."""
from __future__ import annotations

import asyncio

import pytest

from pool import prices
from pool.accounting import estimate
from pool.errors import BudgetExceeded
from pool.fake import Behavior, FakeLLM
from pool.interface import CallMeta, Completion
from tests.unit.pool.conftest import FakeFactory
from tests.unit.pool.helpers import QUESTION, deployment, make_pool


async def test_costs_come_from_the_deployment_price_or_the_known_table(fake_llm: FakeLLM) -> None:
    pool, _ = make_pool(
        deployment("priced", fake_llm, price_in=3.0, price_out=15.0),
        deployment("known", fake_llm, model="gpt-4o-mini"),
        aliases={"p": ("priced",), "k": ("known",)},
    )
    try:
        a = await pool.complete(QUESTION, model="p")
        assert a.cost == pytest.approx((a.tokens_in * 3.0 + a.tokens_out * 15.0) / 1e6) and not a.cost_estimated
        b = await pool.complete(QUESTION, model="k")
        assert b.cost == pytest.approx((b.tokens_in * 0.15 + b.tokens_out * 0.60) / 1e6)
        totals = pool.status().totals
        assert [(kind, model, n) for kind, model, n, *_ in totals] == [("openai", "gpt-4o-mini", 2)]
        assert totals[0][5] == pytest.approx(a.cost + b.cost)
    finally:
        await pool.aclose()


async def test_a_model_without_a_price_is_charged_at_the_estimate_never_zero(fake_llm: FakeLLM) -> None:
    pool, _ = make_pool(deployment("local", fake_llm, model="my-own-finetune"), max_tokens=200)
    try:
        result = await pool.complete(QUESTION)
        assert result.cost_estimated
        assert result.cost == pytest.approx(estimate(None, QUESTION, 200).amount) and result.cost > 0
        assert prices.lookup("my-own-finetune") is None
    finally:
        await pool.aclose()


async def test_a_user_budget_is_not_overshot_by_concurrent_requests(fake_llm: FakeLLM) -> None:
    per_request = estimate((1.0, 1.0), QUESTION, 100).amount
    limit = per_request * 5.5  # room for five reservations, not six
    pool, events = make_pool(
        deployment("only", fake_llm, price_in=1.0, price_out=1.0), budgets={"user": {"alice": limit}},
        size=50, max_tokens=100,
    )
    fake_llm.behavior = Behavior(latency=0.1)
    try:
        meta = CallMeta(user="alice")
        results = await asyncio.gather(*(pool.complete(QUESTION, meta=meta) for _ in range(20)), return_exceptions=True)
        answered = [r for r in results if isinstance(r, Completion)]
        refused = [r for r in results if isinstance(r, BudgetExceeded)]
        assert (len(answered), len(refused)) == (5, 15)
        assert refused[0].budget == "user:alice"
        spent = pool.budgets.spent[("user", "alice")]
        assert spent == pytest.approx(sum(r.cost for r in answered)) and spent <= limit
        assert events and events[0].kind == "budget_exceeded" and events[0].subject == "user:alice"
        # another user has no budget line here, so is not limited
        assert isinstance(await pool.complete(QUESTION, meta=CallMeta(user="bob")), Completion)
    finally:
        await pool.aclose()


async def test_spending_stops_at_the_budget_when_asked_one_by_one(fake_llm: FakeLLM) -> None:
    pool, _ = make_pool(
        deployment("only", fake_llm, price_in=1000.0, price_out=1000.0), budgets={"channel": {"*": 0.5}}, max_tokens=50,
    )
    try:
        meta = CallMeta(channel="slack:C1")
        with pytest.raises(BudgetExceeded, match="channel:slack:C1"):
            for _ in range(100):
                await pool.complete(QUESTION, meta=meta)
        assert pool.budgets.spent[("channel", "slack:C1")] <= 0.5
        assert pool.status().budgets[0][0] == "channel:slack:C1"
    finally:
        await pool.aclose()


async def test_a_deployment_over_its_budget_is_skipped_for_the_next_candidate(
    fake_llm: FakeLLM, fake_factory: FakeFactory
) -> None:
    other = await fake_factory()
    pool, events = make_pool(
        deployment("dear", fake_llm, price_in=1.0, price_out=1.0), deployment("spare", other, price_in=1.0, price_out=1.0),
        budgets={"deployment": {"dear": 0.0}},
    )
    try:
        result = await pool.complete(QUESTION)
        assert result.provider == "spare" and not fake_llm.requests
        assert (events[0].kind, events[0].subject) == ("budget_exceeded", "deployment:dear")
        assert "dear skipped" in events[0].detail
    finally:
        await pool.aclose()


async def test_a_request_that_waited_out_a_retry_after_checks_its_budget_again(fake_llm: FakeLLM) -> None:
    per_request = estimate((1.0, 1.0), QUESTION, 100).amount
    limit = per_request * 1.5  # room for one
    pool, _ = make_pool(
        deployment("only", fake_llm, price_in=1.0, price_out=1.0), budgets={"repo": {"octo/w": limit}}, max_tokens=100,
    )
    fake_llm.script.append(Behavior(status=429, retry_after=0.3))
    try:
        meta = CallMeta(repo="octo/w")
        first = asyncio.create_task(pool.complete(QUESTION, meta=meta))
        while not fake_llm.requests:  # the 429 came back; `first` now waits out its Retry-After
            await asyncio.sleep(0.01)
        second = asyncio.create_task(pool.complete(QUESTION, meta=meta))  # also waits: the deployment is cooling
        results = await asyncio.gather(first, second, return_exceptions=True)
        assert sorted(type(r).__name__ for r in results) == ["BudgetExceeded", "Completion"]
        assert pool.budgets.spent[("repo", "octo/w")] <= limit
    finally:
        await pool.aclose()


def test_recorded_spending_merges_as_the_larger_count_for_limited_keys_of_the_same_day() -> None:
    from pool.accounting import Budgets
    from pool.breaker import utc_day

    b = Budgets({"user": {"alice": 1.0, "bob": 1.0}})
    b.settle(b.reserve([("user", "alice")], 0.5), 0.4)
    b.merge_spent(utc_day(), {("user", "alice"): 0.3, ("user", "bob"): 0.7, ("user", "eve"): 9.0})
    assert b.spent == {("user", "alice"): 0.4, ("user", "bob"): 0.7}  # eve has no budget line
    b.merge_spent("1999-01-01", {("user", "alice"): 0.9})  # another day's figures change nothing
    assert b.spent[("user", "alice")] == 0.4
    assert b.blocking([("user", "bob")], 0.31) is not None
