"""Strings of /mcp (keys `mcp.*`)."""
from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {
    "mcp.not_started": {
        "en": "No MCP provider is configured: set MCP_DB_URL, SHOPIFY_SHOP + SHOPIFY_TOKEN, or MCP_SERVERS (see docs/mcp.md).",
        "ja": "MCP プロバイダーが設定されていません: MCP_DB_URL、SHOPIFY_SHOP と SHOPIFY_TOKEN、または MCP_SERVERS を設定してください（docs/mcp.md 参照）。",
    },
    "mcp.no_tools": {
        "en": "No MCP tools are available. Configure a provider (MCP_DB_URL, SHOPIFY_SHOP + SHOPIFY_TOKEN) or MCP_SERVERS.",
        "ja": "利用できる MCP ツールがありません。MCP_DB_URL、SHOPIFY_SHOP と SHOPIFY_TOKEN、または MCP_SERVERS を設定してください。",
    },
    "mcp.tools_title": {"en": "MCP tools", "ja": "MCP ツール"},
    "mcp.list_footer": {
        "en": "`/mcp call <tool> key=value …` or `/mcp call <tool> {{\"key\": …}}` calls a tool. ✎ = may change things.",
        "ja": "`/mcp call <ツール> key=value …` または `/mcp call <ツール> {{\"key\": …}}` で呼び出します。✎ = 変更を伴うツール。",
    },
    "mcp.not_configured": {"en": "{name}: not configured ({reason})", "ja": "{name}: 未設定（{reason}）"},
    "mcp.server_down": {"en": "{name}: {state} ({error})", "ja": "{name}: {state}（{error}）"},
    "mcp.missing_tool": {"en": "Name a tool: `/mcp call <tool> key=value …` (see `/mcp list`).", "ja": "ツール名を指定してください: `/mcp call <ツール> key=value …`（`/mcp list` で一覧）。"},
    "mcp.unknown_tool": {"en": "Unknown MCP tool `{name}`.", "ja": "`{name}` という MCP ツールはありません。"},
    "mcp.see_list": {"en": "`/mcp list` shows the tools.", "ja": "`/mcp list` でツール一覧を表示します。"},
    "mcp.bad_json": {"en": "The arguments are not a valid JSON object: {error}", "ja": "引数が正しい JSON オブジェクトではありません: {error}"},
    "mcp.bad_quotes": {"en": "The arguments could not be split: {error}", "ja": "引数を解釈できません: {error}"},
    "mcp.not_key_value": {"en": "Expected key=value, got `{token}`.", "ja": "key=value の形式で指定してください（`{token}`）。"},
    "mcp.invalid_arguments": {"en": "Invalid arguments for `{tool}`:\n{problems}\nUsage: `{usage}`", "ja": "`{tool}` の引数が正しくありません:\n{problems}\n使い方: `{usage}`"},
    "mcp.read_only_here": {
        "en": "`{tool}` may change things; requests from {trigger} may use read-only tools only.",
        "ja": "`{tool}` は変更を伴うツールです。{trigger} からのリクエストでは読み取り専用ツールのみ使えます。",
    },
    "mcp.confirm": {"en": "`{tool}` may change things. Run it with these arguments?\n```\n{arguments}\n```", "ja": "`{tool}` は変更を伴うツールです。次の引数で実行しますか?\n```\n{arguments}\n```"},
    "mcp.confirm_button": {"en": "Run {tool}", "ja": "{tool} を実行"},
    "mcp.confirm_gone": {
        "en": "This confirmation was already used or has expired (they last 10 minutes). Run the command again.",
        "ja": "この確認はすでに使われたか、期限（10 分）が切れています。もう一度コマンドを実行してください。",
    },
    "mcp.confirm_other": {
        "en": "Only the person who asked can confirm this. Run the command yourself to get your own button.",
        "ja": "この確認は依頼した本人しか押せません。ご自身でコマンドを実行してください。",
    },
    "mcp.may_have_run": {
        "en": "`{tool}` may already have run: the attempt that called it was interrupted. Check before running it again.",
        "ja": "`{tool}` はすでに実行された可能性があります（呼び出し中に処理が中断されました）。確認してから再実行してください。",
    },
    "mcp.retry_button": {"en": "Run {tool} again", "ja": "{tool} をもう一度実行"},
    "mcp.call_failed": {"en": "`{tool}` failed ({code}): {message}", "ja": "`{tool}` が失敗しました（{code}）: {message}"},
    "mcp.truncated": {"en": "… (output cut at {n} characters)", "ja": "…（{n} 文字で省略）"},
}
