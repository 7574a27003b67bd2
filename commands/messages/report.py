"""Strings of /report and the scheduled report (keys `report.*`)."""
from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {
    "report.title": {"en": "Report: last {window}", "ja": "レポート: 直近 {window}"},
    "report.no_executions": {"en": "No executions in this window.", "ja": "この期間の実行はありません。"},
    "report.anomalies": {"en": "Anomalies", "ja": "異常"},
    "report.recommendations": {"en": "Recommendations", "ja": "推奨"},
    "report.by_command": {"en": "By command", "ja": "コマンド別"},
    "report.by_model": {"en": "By model", "ja": "モデル別"},
    "report.executions": {"en": "executions", "ja": "実行"},
    "report.executions_value": {"en": "{count} ({rate} ok, {failed} failed)", "ja": "{count} 件（成功率 {rate}、失敗 {failed} 件）"},
    "report.latency": {"en": "latency", "ja": "レイテンシ"},
    "report.tokens": {"en": "tokens", "ja": "トークン"},
    "report.tokens_value": {"en": "{tokens_in} in, {tokens_out} out", "ja": "入力 {tokens_in}、出力 {tokens_out}"},
    "report.cost": {"en": "cost", "ja": "コスト"},
    "report.cpu": {"en": "CPU", "ja": "CPU"},
    "report.memory": {"en": "memory", "ja": "メモリ"},
    "report.load_value": {"en": "avg {avg:.0f}%, max {max:.0f}%", "ja": "平均 {avg:.0f}%、最大 {max:.0f}%"},
}
