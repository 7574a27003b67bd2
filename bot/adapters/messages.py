"""User-facing strings of the chat adapters (Slack, Discord), in English and Japanese."""
from __future__ import annotations

from commands.messages import Catalog

_MESSAGES: dict[str, dict[str, str]] = {
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
}


t = Catalog(_MESSAGES)
