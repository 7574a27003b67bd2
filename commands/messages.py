"""User-facing strings of `commands/`, in English and Japanese, so wording lives in one place."""
from __future__ import annotations

import re

_MESSAGES: dict[str, dict[str, str]] = {
    "unknown_command": {
        "en": "Unknown command `/{name}`.",
        "ja": "`/{name}` というコマンドはありません。",
    },
    "did_you_mean": {"en": "Did you mean: {names}?", "ja": "もしかして: {names}"},
    "see_help": {"en": "Type `/help` for the list of commands.", "ja": "`/help` でコマンド一覧を表示します。"},
    "empty_command": {"en": "Type a command, e.g. `/help`.", "ja": "コマンドを入力してください（例: `/help`）。"},
    "usage": {"en": "Usage: `{usage}`", "ja": "使い方: `{usage}`"},
    "internal_error": {
        "en": "Something went wrong while running `/{name}` (error id `{ref}`). The team can find it in the logs.",
        "ja": "`/{name}` の実行中にエラーが発生しました（エラーID `{ref}`）。ログで確認できます。",
    },
    "llm_not_configured": {
        "en": "No LLM is configured: {hint}.",
        "ja": "LLM が設定されていません。OPENAI_BASE_URL（OpenAI 互換の /v1 エンドポイント）と必要なら OPENAI_API_KEY を設定してください（OpenAI 本家なら OPENAI_API_KEY だけで動きます）。",
    },
    "llm_failed": {
        "en": "The LLM provider `{provider}` failed: {error}",
        "ja": "LLM プロバイダー `{provider}` でエラーが発生しました: {error}",
    },
    "help_title": {"en": "Commands", "ja": "コマンド一覧"},
    "help_footer": {
        "en": "`/help <command>` shows one command in detail.",
        "ja": "`/help <コマンド>` で詳細を表示します。",
    },
}

_JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uff66-\uff9f]")


def guess_locale(text: str, declared: str | None = None) -> str:
    """The platform's declared locale wins; otherwise Japanese script in the text means 'ja'."""
    if declared:
        return "ja" if declared.lower().startswith("ja") else "en"
    return "ja" if _JAPANESE.search(text or "") else "en"


def t(key: str, locale: str = "en", **kwargs: object) -> str:
    table = _MESSAGES[key]
    return table.get(locale, table["en"]).format(**kwargs)
