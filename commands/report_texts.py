"""User-facing strings of /report, /alerts, alert messages and the health lines of /status (en, ja)."""
from __future__ import annotations

from commands.messages import Catalog

_MESSAGES: dict[str, dict[str, str]] = {
    "not_enabled": {"en": "Health checks and reports are not enabled in this process.",
                    "ja": "このプロセスではヘルスチェックとレポートが有効になっていません。"},
    "firing": {"en": "FIRING", "ja": "発生中"},
    "resolved": {"en": "RESOLVED", "ja": "解決"},
    "reminder": {"en": "STILL FIRING", "ja": "継続中"},
    "since": {"en": "since {time}", "ja": "{time} から"},
    "acked": {"en": "acknowledged by {user} at {time}", "ja": "{user} が {time} に確認済み"},
    "silenced": {"en": "silenced until {time}", "ja": "{time} までミュート中"},
    "resolved_after": {"en": "resolved after {duration}", "ja": "{duration} 後に解決"},
    "btn_ack": {"en": "Ack", "ja": "確認"},
    "btn_silence": {"en": "Silence 1h", "ja": "1時間ミュート"},
    "rule_footer": {"en": "rule `{rule}` · reminder every {repeat}", "ja": "ルール `{rule}` · {repeat} ごとに再通知"},
    "no_alerts": {"en": "No active alerts.", "ja": "現在アラートはありません。"},
    "alerts_title": {"en": "Alerts", "ja": "アラート"},
    "silences_title": {"en": "Silences", "ja": "ミュート"},
    "not_firing": {"en": "Alert `{rule}` is not firing; nothing to acknowledge.",
                   "ja": "アラート `{rule}` は発生していないため確認できません。"},
    "acked_ok": {"en": "Acknowledged `{rule}` ({user}). Reminders stop until it resolves.",
                 "ja": "`{rule}` を確認しました（{user}）。解決するまで再通知しません。"},
    "silenced_ok": {"en": "Silenced `{rule}` for {minutes} min (until {time}).",
                    "ja": "`{rule}` を {minutes} 分間ミュートしました（{time} まで）。"},
    "unsilenced_ok": {"en": "Silence of `{rule}` lifted.", "ja": "`{rule}` のミュートを解除しました。"},
    "needs_rule": {"en": "`/alerts {action}` needs a rule name; rules: {rules}",
                   "ja": "`/alerts {action}` にはルール名が必要です。ルール: {rules}"},
    "unknown_rule": {"en": "No alert rule `{rule}`; rules: {rules}", "ja": "アラートルール `{rule}` はありません。ルール: {rules}"},
    "bad_minutes": {"en": "Minutes must be a whole number from 0 to 10080 (0 lifts the silence).",
                    "ja": "分数は 0〜10080 の整数で指定してください（0 で解除）。"},
    "report_title": {"en": "Report: last {window}", "ja": "レポート: 直近 {window}"},
    "no_executions": {"en": "No executions in this window.", "ja": "この期間の実行はありません。"},
    "anomalies": {"en": "Anomalies", "ja": "異常"},
    "recommendations": {"en": "Recommendations", "ja": "推奨"},
    "by_command": {"en": "By command", "ja": "コマンド別"},
    "by_model": {"en": "By model", "ja": "モデル別"},
    "system": {"en": "system", "ja": "システム"},
    "alerts_field": {"en": "alerts", "ja": "アラート"},
    "no_sample": {"en": "no sample yet", "ja": "まだ計測がありません"},
}


t = Catalog(_MESSAGES)
