"""Strings of dispatch, /help, /ask and the LLM errors every handler shares (no key prefix)."""
from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {
    "unknown_command": {
        "en": "Unknown command `/{name}`.",
        "ja": "`/{name}` というコマンドはありません。",
    },
    "did_you_mean": {"en": "Did you mean: {names}?", "ja": "もしかして: {names}"},
    "see_help": {"en": "Type `/help` for the list of commands.", "ja": "`/help` でコマンド一覧を表示します。"},
    "empty_command": {"en": "Type a command, e.g. `/help`.", "ja": "コマンドを入力してください（例: `/help`）。"},
    "usage": {"en": "Usage: `{usage}`", "ja": "使い方: `{usage}`"},
    "usage_unknown_option": {"en": "unknown option --{name}", "ja": "--{name} というオプションはありません"},
    "usage_needs_value": {"en": "--{name} needs a value", "ja": "--{name} には値が必要です"},
    "usage_range": {"en": "{name} must be a number from {low} to {high}", "ja": "{name} には {low} から {high} までの数値を指定してください"},
    "usage_choices": {"en": "{name} must be one of: {choices}", "ja": "{name} は次のいずれかを指定してください: {choices}"},
    "usage_unknown_argument": {"en": "unknown argument {name}", "ja": "{name} という引数はありません"},
    "usage_unexpected": {"en": "unexpected argument: {text}", "ja": "余分な引数があります: {text}"},
    "usage_missing": {"en": "missing <{name}>", "ja": "<{name}> を指定してください"},
    "internal_error": {
        "en": "Something went wrong while running `/{name}` (error id `{ref}`). The team can find it in the logs.",
        "ja": "`/{name}` の実行中にエラーが発生しました（エラーID `{ref}`）。ログで確認できます。",
    },
    "llm_not_configured": {
        "en": "No LLM is configured: {hint}.",
        "ja": "LLM が設定されていません（{hint}）。",
    },
    "llm_failed": {
        "en": "The LLM provider `{provider}` failed: {error}",
        "ja": "LLM プロバイダー `{provider}` でエラーが発生しました: {error}",
    },
    "llm_busy": {
        "en": "The LLM workers are busy: you would be number {position} in a queue of {size}. Try again in a moment.",
        "ja": "LLM ワーカーが混み合っています（待ち行列 {size} 件中 {position} 番目）。少し待ってから再度お試しください。",
    },
    "llm_busy_no_queue": {
        "en": "All LLM workers are busy and this bot keeps no queue. Try again in a moment.",
        "ja": "LLM ワーカーがすべて使用中です（待ち行列なし）。少し待ってから再度お試しください。",
    },
    "llm_budget": {
        "en": "The LLM budget `{budget}` is used up for today (${spent:.4f} of ${limit:.2f}).",
        "ja": "LLM の予算 `{budget}` は本日分を使い切りました（${limit:.2f} 中 ${spent:.4f}）。",
    },
    "llm_circuit_open": {
        "en": "Every LLM provider for this request is failing ({names}); trying again in about {seconds:.0f}s.",
        "ja": "この要求の LLM プロバイダーがすべて停止中です（{names}）。約 {seconds:.0f} 秒後に再試行します。",
    },
    "llm_unknown_model": {
        "en": "Unknown model `{name}`. Known: {known}.",
        "ja": "`{name}` というモデルはありません。使えるもの: {known}。",
    },
    "help_title": {"en": "Commands", "ja": "コマンド一覧"},
    "help_footer": {
        "en": "`/help <command>` shows one command in detail.",
        "ja": "`/help <コマンド>` で詳細を表示します。",
    },
    "ask_tools_used": {"en": "Tools used", "ja": "使用したツール"},
    "ask_calling": {"en": "_Calling {tools}…_", "ja": "_{tools} を呼び出しています…_"},
    "ask_step_limit": {
        "en": "_Stopped after {steps} rounds of tool calls (ASK_MAX_TOOL_STEPS): the model kept asking for more tools. The answer may be incomplete._",
        "ja": "_ツール呼び出しが {steps} 回に達したため停止しました（ASK_MAX_TOOL_STEPS）。回答が不完全な可能性があります。_",
    },
    "ask_write_pending": {
        "en": "The model wants to run `{tool}`, which may change things. It was not run: an operator can run it with the button.",
        "ja": "モデルが変更を伴う可能性のある `{tool}` の実行を求めました。実行していません。オペレーターはボタンから実行できます。",
    },
    "ask_write_button": {"en": "Run {tool}", "ja": "{tool} を実行"},
    "list_separator": {"en": ", ", "ja": "、"},
    "empty_answer": {"en": "(empty answer)", "ja": "（回答が空でした）"},
}
