"""User-facing strings of the GitHub handlers, in English and Japanese."""
from __future__ import annotations

from commands.messages import Catalog

_MESSAGES: dict[str, dict[str, str]] = {
    "review_title": {"en": "Automated review", "ja": "自動レビュー"},
    "review_scope_full": {"en": "full review of `{sha}`", "ja": "`{sha}` の全体レビュー"},
    "review_scope_incremental": {"en": "new commits `{base}`…`{sha}`", "ja": "新しいコミット `{base}`…`{sha}`"},
    "review_scope_forced": {
        "en": "full review of `{sha}` (the previously reviewed `{base}` is no longer in the branch: force-push)",
        "ja": "`{sha}` の全体レビュー（前回レビューした `{base}` がブランチにありません: force-push）",
    },
    "summary": {"en": "Summary", "ja": "概要"},
    "risks": {"en": "Risks", "ja": "リスク"},
    "suggestions": {"en": "Suggestions", "ja": "提案"},
    "earlier": {"en": "Raised in earlier rounds", "ja": "以前のレビューで指摘済み"},
    "nothing_new": {"en": "No new findings.", "ja": "新しい指摘はありません。"},
    "omitted": {"en": "Not reviewed", "ja": "レビュー対象外"},
    "omitted_note": {
        "en": "These files were left out of the review, so it is not complete:",
        "ja": "以下のファイルはレビューしていません（レビューは完全ではありません）:",
    },
    "empty_diff": {"en": "The diff is empty: nothing to review.", "ja": "差分が空のため、レビューする内容がありません。"},
    "already_reviewed": {"en": "Head `{sha}` was already reviewed.", "ja": "`{sha}` はレビュー済みです。"},
    "triage_title": {"en": "Triage", "ja": "トリアージ"},
    "suggested_labels": {"en": "Suggested labels", "ja": "推奨ラベル"},
    "duplicates": {"en": "Possible duplicates", "ja": "重複の可能性"},
    "none": {"en": "none", "ja": "なし"},
    "labels_note": {
        "en": "Labels are suggestions only; the bot does not apply them.",
        "ja": "ラベルは提案のみで、ボットは付与しません。",
    },
    "no_github": {
        "en": "GitHub is not configured: set GITHUB_TOKEN, or GITHUB_APP_ID and GITHUB_PRIVATE_KEY.",
        "ja": "GitHub が設定されていません: GITHUB_TOKEN または GITHUB_APP_ID と GITHUB_PRIVATE_KEY を設定してください。",
    },
    "bad_pr_url": {
        "en": "Not a pull request URL: `{url}` (expected https://github.com/owner/repo/pull/123 or owner/repo#123).",
        "ja": "プルリクエストの URL ではありません: `{url}`（例: https://github.com/owner/repo/pull/123 または owner/repo#123）",
    },
    "posted": {"en": "Posted on the pull request: {url}", "ja": "プルリクエストに投稿しました: {url}"},
    "github_failed": {"en": "GitHub request failed: {error}", "ja": "GitHub へのリクエストに失敗しました: {error}"},
}


t = Catalog(_MESSAGES)
