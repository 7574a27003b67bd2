"""/status pool's table and /status's pool line, in English and Japanese, from a pool snapshot."""
from __future__ import annotations

import unicodedata

from commands.status_pool import pool_summary, render_pool
from pool.snapshot import DeploymentStatus, PoolStatus


def deployment(name: str, state: str, retry_in: float = 0.0) -> DeploymentStatus:
    return DeploymentStatus(name, "openai", "gpt-4o-mini", state, retry_in, 1, 0, 4, 120.0, 480.0, 0.25, 8, 100, 20, 0.0123)


POOL = PoolStatus(
    enabled=True, disabled_for=0.0, slots_busy=1, slots=4, queued=2, queue_limit=10,
    deployments=(deployment("a", "closed"), deployment("b", "open", 12.4), deployment("c", "half-open")),
    totals=(("openai", "gpt-4o-mini", 3, 100, 20, 0.0123),), budgets=(("user:alice", 0.5, 2.0),),
)


def columns(line: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in line)


def table(reply_text: str) -> list[str]:
    return reply_text.split("```\n", 1)[1].split("\n```", 1)[0].splitlines()


def test_english_table_is_unchanged() -> None:
    reply = render_pool(POOL)
    assert reply.sections[0].title == "LLM pool"
    rows = table(reply.sections[0].markdown)
    assert rows[0] == "deployment              state       in-flight  queue  p50/p95 ms  errors  tokens today  cost today"
    assert rows[2] == "b (openai:gpt-4o-mini)  open (12s)  1/4        0      120/480     25.0%   100+20        $0.0123"
    assert "closed" in rows[1] and "half-open" in rows[3]
    assert reply.sections[1].markdown == "openai/gpt-4o-mini: 3 requests, 100+20 tokens, $0.0123"
    assert reply.sections[2].markdown == "user:alice: $0.5000 of $2.00"
    assert pool_summary(POOL) == (
        "1/4 slots busy, 2 queued, 3 deployments (open: b), $0.0369 today · `/status pool` for details"
    )


def test_japanese_table_lines_up_in_a_monospace_font() -> None:
    reply = render_pool(POOL, "ja")
    assert reply.sections[0].title == "LLM プール"
    assert reply.sections[0].markdown.startswith("スロット使用中 1/4、待機 2 件（上限 10）")
    rows = table(reply.sections[0].markdown)
    assert rows[0].startswith("デプロイ") and "オープン（12 秒）" in rows[2] and "ハーフオープン" in rows[3]
    # the cost column starts at the same display column in the header and in every row
    starts = [columns(r[: r.index("本日のコスト" if i == 0 else "$")]) for i, r in enumerate(rows)]
    assert len(set(starts)) == 1, rows
    assert reply.sections[1].title == "起動以降の累計（プロバイダー/モデル別）"
    assert reply.sections[2].markdown == "user:alice: $2.00 中 $0.5000"
    assert pool_summary(POOL, "ja-JP") == (
        "スロット使用中 1/4、待機 2 件、デプロイ 3 件（オープン: b）、本日 $0.0369 · 詳細は `/status pool`"
    )


def test_a_switched_off_pool_says_so_in_both_languages() -> None:
    off = PoolStatus(False, 30.0, 0, 4, 0, 10, (), (), ())
    assert pool_summary(off) == "switched off for 30s (single-client path meanwhile)"
    assert pool_summary(off, "ja") == "30 秒間停止中（その間は単一クライアントで処理）"
    assert render_pool(off, "ja").sections[0].markdown.startswith("内部エラーのため停止中です。約 30 秒後に再開します")
