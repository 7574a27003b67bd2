"""How /ask phrases the pool's refusals, in English and Japanese."""
from __future__ import annotations

from commands.llm import pool_error_text
from pool.errors import BudgetExceeded, CircuitOpen, PoolBusy, ProviderUnavailable, UnknownModel


def test_each_refusal_is_one_sentence_the_user_can_act_on() -> None:
    assert pool_error_text(PoolBusy(3, 10), "en") == (
        "The LLM workers are busy: you would be number 3 in a queue of 10. Try again in a moment."
    )
    assert "待ち行列 10 件中 3 番目" in (pool_error_text(PoolBusy(3, 10), "ja") or "")
    assert pool_error_text(BudgetExceeded("user:U1", 1.0, 0.9995), "en") == (
        "The LLM budget `user:U1` is used up for today ($0.9995 of $1.00)."
    )
    assert pool_error_text(CircuitOpen(["a", "b"], 12.4), "en") == (
        "Every LLM provider for this request is failing (a, b); trying again in about 12s."
    )
    assert pool_error_text(UnknownModel("huge", ["fast", "smart"]), "ja") == "`huge` というモデルはありません。使えるもの: fast, smart。"
    assert pool_error_text(ProviderUnavailable("p", "down"), "en") is None  # the dispatcher names the provider
