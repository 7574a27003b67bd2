"""The one message catalog of `reports/`: chart labels and the sentences of anomalies and recommendations,
in English and Japanese, looked up by `t(key, locale, **fields)`.

`reports/` may not import `commands/`, so it keeps this small lookup of its own; it behaves as
`commands.messages.t` does ("ja-JP" is Japanese, anything unknown English, an unknown key raises).
`tests/unit/reports/test_messages.py` walks the table with the same checks as the other catalogs.
"""
from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {
    "chart.executions": {"en": "Executions per hour by status", "ja": "1時間あたりの実行数（状態別）"},
    "chart.latency": {"en": "Latency p50 / p95 (s)", "ja": "レイテンシ p50 / p95（秒）"},
    "chart.cost": {"en": "LLM cost by model (USD, report window)", "ja": "モデル別 LLM コスト（USD・集計期間）"},
    "chart.system": {"en": "CPU and memory (%)", "ja": "CPU とメモリ使用率（%）"},
    "chart.cpu": {"en": "CPU", "ja": "CPU"},
    "chart.memory": {"en": "memory", "ja": "メモリ"},
    "chart.no_data": {"en": "no data", "ja": "データなし"},
    "finding.error_rate": {
        "en": "error rate {rate:.0%} in the last hour ({failed}/{finished}), above {limit:.0%}",
        "ja": "直近1時間のエラー率が {rate:.0%}（{failed}/{finished}）で、しきい値 {limit:.0%} を超えています",
    },
    "finding.latency_p95": {
        "en": "p95 latency {p95:.2f}s against a baseline of {baseline:.2f}s",
        "ja": "p95 レイテンシが {p95:.2f} 秒です（平常時 {baseline:.2f} 秒）",
    },
    "finding.throughput_drop": {
        "en": "{current} executions in the last hour against {baseline:.0f}/h before ({drop:.0%} down)",
        "ja": "直近1時間の実行は {current} 件で、それまでの {baseline:.0f} 件/時から {drop:.0%} 減っています",
    },
    "finding.cheaper_model": {
        "en": "/{command}: {cheap} costs ${cheap_cost:.4f}/run with {cheap_rate:.0%} success (n={cheap_n}) "
              "vs {dear} ${dear_cost:.4f}/run with {dear_rate:.0%} (n={dear_n})",
        "ja": "/{command}: {cheap} は 1 回 ${cheap_cost:.4f}・成功率 {cheap_rate:.0%}（n={cheap_n}）、"
              "{dear} は 1 回 ${dear_cost:.4f}・成功率 {dear_rate:.0%}（n={dear_n}）です",
    },
    "finding.provider_errors": {
        "en": "provider {provider} failed {failed} of {finished} ({rate:.0%})",
        "ja": "プロバイダー {provider} が {finished} 件中 {failed} 件失敗しました（{rate:.0%}）",
    },
    "finding.queue_saturation": {
        "en": "the queue held {avg:.1f} executions on average (max {max:.0f}){size}: raise LLM_POOL_SIZE",
        "ja": "キューに平均 {avg:.1f} 件（最大 {max:.0f} 件）の実行が溜まっています{size}。LLM_POOL_SIZE を増やしてください",
    },
    "finding.pool_size": {"en": " (LLM_POOL_SIZE {size:.0f})", "ja": "（LLM_POOL_SIZE {size:.0f}）"},
}


def t(key: str, locale: str | None = "en", **fields: object) -> str:
    entry = MESSAGES[key]
    return entry["ja" if (locale or "").lower().startswith("ja") else "en"].format(**fields)


__all__ = ["MESSAGES", "t"]
