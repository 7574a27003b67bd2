"""Strings of the GitHub handlers and /review (keys `github.*`)."""
from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {
    "github.review_title": {"en": "Automated review", "ja": "自動レビュー"},
    "github.review_scope_full": {"en": "full review of `{sha}`", "ja": "`{sha}` の全体レビュー"},
    "github.review_scope_incremental": {"en": "new commits `{base}`…`{sha}`", "ja": "新しいコミット `{base}`…`{sha}`"},
    "github.review_scope_forced": {
        "en": "full review of `{sha}` (the previously reviewed `{base}` is no longer in the branch: force-push)",
        "ja": "`{sha}` の全体レビュー（前回レビューした `{base}` がブランチにありません: force-push）",
    },
    "github.summary": {"en": "Summary", "ja": "概要"},
    "github.risks": {"en": "Risks", "ja": "リスク"},
    "github.suggestions": {"en": "Suggestions", "ja": "提案"},
    "github.earlier": {"en": "Raised in earlier rounds", "ja": "以前のレビューで指摘済み"},
    "github.nothing_new": {"en": "No new findings.", "ja": "新しい指摘はありません。"},
    "github.omitted": {"en": "Not reviewed", "ja": "レビュー対象外"},
    "github.omitted_note": {
        "en": "These files were left out of the review, so it is not complete:",
        "ja": "以下のファイルはレビューしていません（レビューは完全ではありません）:",
    },
    "github.empty_diff": {"en": "The diff is empty: nothing to review.", "ja": "差分が空のため、レビューする内容がありません。"},
    "github.triage_title": {"en": "Triage", "ja": "トリアージ"},
    "github.suggested_labels": {"en": "Suggested labels", "ja": "推奨ラベル"},
    "github.duplicates": {"en": "Possible duplicates", "ja": "重複の可能性"},
    "github.none": {"en": "none", "ja": "なし"},
    "github.labels_note": {
        "en": "Labels are suggestions only; the bot does not apply them.",
        "ja": "ラベルは提案のみで、ボットは付与しません。",
    },
    "github.no_github": {
        "en": "GitHub is not configured: set GITHUB_TOKEN, or GITHUB_APP_ID and GITHUB_PRIVATE_KEY.",
        "ja": "GitHub が設定されていません: GITHUB_TOKEN または GITHUB_APP_ID と GITHUB_PRIVATE_KEY を設定してください。",
    },
    "github.bad_pr_url": {
        "en": "Not a pull request URL: `{url}` (expected https://github.com/owner/repo/pull/123 or owner/repo#123).",
        "ja": "プルリクエストの URL ではありません: `{url}`（例: https://github.com/owner/repo/pull/123 または owner/repo#123）",
    },
    "github.posted": {"en": "Posted on the pull request: {url}", "ja": "プルリクエストに投稿しました: {url}"},
    "github.github_failed": {"en": "GitHub request failed: {error}", "ja": "GitHub へのリクエストに失敗しました: {error}"},
    "github.notify_merged": {
        "en": "🔀 Merged into `{base}`: **{repo}#{number}** {title} (by {actor})",
        "ja": "🔀 `{base}` にマージ: **{repo}#{number}** {title}（{actor}）",
    },
    "github.notify_approved": {
        "en": "✅ Approved: **{repo}#{number}** {title} (by {actor})",
        "ja": "✅ 承認: **{repo}#{number}** {title}（{actor}）",
    },
    "github.notify_changes_requested": {
        "en": "❌ Changes requested: **{repo}#{number}** {title} (by {actor})",
        "ja": "❌ 修正依頼: **{repo}#{number}** {title}（{actor}）",
    },
    "github.notify_push": {
        "en": "⬆️ {count} commit(s) pushed to `{branch}` of **{repo}** (by {actor})",
        "ja": "⬆️ **{repo}** の `{branch}` に {count} 件のコミットがプッシュされました（{actor}）",
    },
    "github.notify_branch_created": {
        "en": "🌱 Branch `{branch}` of **{repo}** created with {count} commit(s) (by {actor})",
        "ja": "🌱 **{repo}** にブランチ `{branch}` が作成されました（コミット {count} 件、{actor}）",
    },
    "github.notify_tag": {
        "en": "🏷️ Tag `{tag}` created in **{repo}** (by {actor})",
        "ja": "🏷️ **{repo}** にタグ `{tag}` が作成されました（{actor}）",
    },
    "github.notify_other": {"en": "{repo}: {kind}", "ja": "{repo}: {kind}"},
    "github.notify_more": {"en": "… and {more} more", "ja": "…ほか {more} 件"},
}
