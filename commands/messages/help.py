"""What /help says about each visible command, its arguments and options (keys `help.<command>`,
`help.<command>.<argument or option>`, `help.<command>.long`). The English text is also what Slack's
manifest and Discord's command list show: the `Command` records read it from here."""
from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {
    "help.help": {"en": "List the commands, or show one in detail.", "ja": "コマンドの一覧、または 1 つのコマンドの詳細を表示します。"},
    "help.help.command": {"en": "a command name", "ja": "コマンド名"},
    "help.status": {
        "en": "Show the bot's health: uptime, queue, recent executions, CPU and memory.",
        "ja": "ボットの状態を表示します: 稼働時間、キュー、直近の実行、CPU とメモリ。",
    },
    "help.status.section": {"en": "pool: the LLM pool per deployment", "ja": "pool: デプロイごとの LLM プール"},
    "help.ask": {"en": "Ask the LLM a question; the answer streams in.", "ja": "LLM に質問します。回答は順次表示されます。"},
    "help.ask.question": {"en": "what to ask, in any language", "ja": "質問（どの言語でも可）"},
    "help.ask.model": {"en": "an alias (fast, smart, review…) or a deployment name", "ja": "エイリアス（fast、smart、review…）またはデプロイ名"},
    "help.ask.long": {
        "en": "With MCP tools mounted the model may call them (read-only unless you are an operator); "
              "the tools used are listed under the answer.",
        "ja": "MCP ツールが使える場合、モデルはそれを呼び出すことがあります（オペレーター以外は読み取り専用）。"
              "使ったツールは回答の下に表示されます。",
    },
    "help.report": {
        "en": "Executions, success rate, latency, cost and system load over 1h, 24h or 7d, with charts.",
        "ja": "直近 1h・24h・7d の実行数、成功率、レイテンシ、コスト、システム負荷をグラフ付きで表示します。",
    },
    "help.report.window": {"en": "the period to cover", "ja": "集計期間"},
    "help.alerts": {
        "en": "List active alerts, or acknowledge / silence one rule: /alerts ack cpu_high, /alerts silence cpu_high 60.",
        "ja": "発生中のアラートを一覧表示、またはルールを確認済み・ミュートにします: /alerts ack cpu_high、/alerts silence cpu_high 60。",
    },
    "help.alerts.action": {"en": "list, ack or silence", "ja": "list、ack または silence"},
    "help.alerts.rule": {"en": "the rule name (see /alerts list)", "ja": "ルール名（/alerts list で確認）"},
    "help.alerts.minutes": {"en": "silence duration in minutes (0 lifts it)", "ja": "ミュートする分数（0 で解除）"},
    "help.mcp": {
        "en": "List MCP tools, or call one: /mcp call db.query sql=\"SELECT 1\"",
        "ja": "MCP ツールを一覧表示、または呼び出します: /mcp call db.query sql=\"SELECT 1\"",
    },
    "help.mcp.action": {"en": "list or call", "ja": "list または call"},
    "help.mcp.rest": {
        "en": "list: a filter; call: the tool name then key=value pairs or one JSON object",
        "ja": "list: 絞り込み文字列、call: ツール名と key=value の組、または JSON オブジェクト 1 つ",
    },
    "help.mcp.confirm": {"en": "run a writing tool (sent by the confirmation button)", "ja": "変更を伴うツールを実行する（確認ボタンが送ります）"},
    "help.mcp.long": {
        "en": "Which tools you may call is set by the access policy (`/whoami` lists them); tools marked ✎ may change things and also need a confirmation click.",
        "ja": "呼び出せるツールはアクセスポリシーで決まります（`/whoami` で一覧）。✎ の付いたツールは変更を伴うため、確認のクリックも必要です。",
    },
    "help.review": {
        "en": "Review a pull request with the LLM (same review as the webhook).",
        "ja": "LLM でプルリクエストをレビューします（Webhook と同じレビュー）。",
    },
    "help.review.pr": {
        "en": "pull request URL (https://github.com/owner/repo/pull/123) or owner/repo#123",
        "ja": "プルリクエストの URL（https://github.com/owner/repo/pull/123）または owner/repo#123",
    },
    "help.review.post": {
        "en": "also post (or update) the review comment on the pull request",
        "ja": "レビューコメントをプルリクエストにも投稿（または更新）する",
    },
    "help.access": {
        "en": "Who may do what: show, grant or revoke roles (admins); `link` gives you a one-time web login.",
        "ja": "権限の管理: ロールの表示・付与・取り消し（管理者）。`link` で Web ダッシュボードへの 1 回限りのログインリンクを発行します。",
    },
    "help.access.action": {"en": "show, grant, revoke or link", "ja": "show、grant、revoke または link"},
    "help.access.rest": {
        "en": "grant/revoke: @user (or @group, @role, an identity) and a role; show: optionally @user",
        "ja": "grant/revoke: @ユーザー（または @グループ、@ロール、ID）とロール、show: 任意で @ユーザー",
    },
    "help.whoami": {"en": "Your identity, your roles and what you may use.", "ja": "あなたの ID、ロール、使えるコマンドを表示します。"},
    "help.audit": {
        "en": "The audit trail: commands, refusals and access changes (admins).",
        "ja": "監査ログ: コマンド、拒否、権限変更の記録（管理者）。",
    },
    "help.audit.rest": {
        "en": "optionally @user, a window (24h, 7d) and a page number",
        "ja": "任意で @ユーザー、期間（24h、7d）、ページ番号",
    },
}
