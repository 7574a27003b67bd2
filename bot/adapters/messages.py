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
    "worker.deadline": {
        "en": "`/{name}` was stopped: it ran longer than its limit of {seconds} s. Try a smaller request; an operator can"
              " raise the limit (COMMAND_DEADLINES).",
        "ja": "`/{name}` は制限時間（{seconds} 秒）を超えたため停止しました。範囲を小さくして再度お試しください。"
              "制限はオペレーターが COMMAND_DEADLINES で変更できます。",
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
    "web.signed_in": {"en": "Signed in as {name} ({role})", "ja": "{name}（{role}）としてサインイン中"},
    "web.sign_out": {"en": "Sign out", "ja": "サインアウト"},
    "web.auth.title": {"en": "Sign in to chatops", "ja": "chatops にサインイン"},
    "web.auth.token": {"en": "Token", "ja": "トークン"},
    "web.auth.sign_in": {"en": "Sign in", "ja": "サインイン"},
    "web.auth.how": {
        "en": "Type <code>/access link</code> in chat for a one-time sign-in link, or paste a token from "
              "<code>chatops tokens create</code>.",
        "ja": "チャットで <code>/access link</code> と入力すると一度だけ使えるサインインリンクが届きます。"
              "または <code>chatops tokens create</code> で作ったトークンを貼り付けてください。",
    },
    "web.auth.link_intro": {
        "en": "This link from chat signs you in once. Press the button to continue.",
        "ja": "チャットから届いたこのリンクで一度だけサインインできます。ボタンを押して続けてください。",
    },
    "web.auth.bad_token": {
        "en": "That token is not valid (revoked, expired or mistyped).",
        "ja": "このトークンは使えません（取り消し済み、期限切れ、または入力の誤り）。",
    },
    "web.auth.bad_link": {
        "en": "This sign-in link was already used or has expired. Type /access link in chat for a new one.",
        "ja": "このサインインリンクは使用済みか期限切れです。チャットで /access link と入力して新しいリンクを受け取ってください。",
    },
    "web.auth.other_site": {
        "en": "This form was sent from another site; open the bot's own page and try again.",
        "ja": "このフォームは別のサイトから送信されました。ボットのページを開いてやり直してください。",
    },
    "web.auth.needed": {
        "en": "Sign in first: send a token as `Authorization: Bearer …` (chatops tokens create), or sign in at /login.",
        "ja": "先にサインインしてください: `Authorization: Bearer …` でトークンを送る（chatops tokens create）か、/login でサインインします。",
    },
    "web.auth.forbidden": {"en": "This needs the {role} role.", "ja": "{role} ロールが必要です。"},
}


t = Catalog(MESSAGES)
