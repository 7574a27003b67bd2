"""The one message catalog of `bot/`: what the chat adapters and the web status page say, in English and
Japanese, looked up by `t(key, locale, **fields)` the way `commands.messages.t` is (same `Catalog`).
Keys of the web status page start with `web.`. `tests/unit/bot/test_messages.py` walks the table."""
from __future__ import annotations

from commands.messages import Catalog

MESSAGES: dict[str, dict[str, str]] = {
    "accepted": {"en": "Working on `{line}` (#{id})…", "ja": "`{line}` を実行しています（#{id}）…"},
    "not_in_channel": {
        "en": "I could not post in channel `{channel}` (invite me there with `/invite`), so here is your answer.",
        "ja": "チャンネル `{channel}` に投稿できませんでした（`/invite` で招待してください）。こちらに回答します。",
    },
    "attached": {
        "en": "The answer is long; it is attached as `{name}`.",
        "ja": "回答が長いため `{name}` として添付しました。",
    },
    "button_expired": {
        "en": "This button no longer works (its command was not found); run the command again.",
        "ja": "このボタンは使えなくなりました（コマンドが見つかりません）。もう一度コマンドを実行してください。",
    },
    "handler_gone": {
        "en": "this bot has no handler for {kind!r} any more",
        "ja": "このボットには {kind!r} を処理するコマンドがもうありません",
    },
    "web.title": {"en": "chatops status", "ja": "chatops ステータス"},
    "web.summary": {
        "en": "queue: {pending} pending, {running} running · workers: {workers} · window: {links}",
        "ja": "キュー: 待機 {pending} 件、実行中 {running} 件 · ワーカー: {workers} · 期間: {links}",
    },
    "web.alerts": {"en": "Alerts", "ja": "アラート"},
    "web.no_alerts": {"en": "no active alerts", "ja": "現在アラートはありません"},
    "web.acked_by": {"en": " · acked by {user}", "ja": " · {user} が確認済み"},
    "web.charts": {"en": "Charts ({window})", "ja": "グラフ（{window}）"},
    "web.latest_sample": {"en": "Latest sample", "ja": "最新の計測値"},
    "web.no_sample": {"en": "no sample yet", "ja": "まだ計測がありません"},
}


t = Catalog(MESSAGES)
