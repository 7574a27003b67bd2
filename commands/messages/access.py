"""Strings of the permission gate, /access, /whoami and /audit (keys `access.*`)."""
from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {
    "access.refused": {
        "en": "`{action}` needs {needs}. Ask an admin: `/access grant {who} {role}`",
        "ja": "`{action}` には{needs}が必要です。管理者に依頼してください: `/access grant {who} {role}`",
    },
    "access.needs_role": {"en": "the {role} role", "ja": " {role} ロール"},
    "access.needs_in": {"en": "{role} in {places}", "ja": "{places} での{role}"},
    "access.needs_on": {"en": "{role} on {repos}", "ja": "{repos} に対する{role}"},
    "access.or": {"en": " or ", "ja": "、または"},
    "access.repo_refused": {
        "en": "`{action}` is not allowed on this repository in this deployment (GITHUB_ALLOWED_REPOS).",
        "ja": "このデプロイではこのリポジトリに対する `{action}` は許可されていません（GITHUB_ALLOWED_REPOS）。",
    },
    "access.workspace_refused": {
        "en": "This bot does not serve this {space}. An admin of the bot can allow it ({setting}).",
        "ja": "このボットはこの{space}では利用できません。ボットの管理者が許可できます（{setting}）。",
    },
    "access.space.slack": {"en": "Slack workspace", "ja": "Slack ワークスペース"},
    "access.space.discord": {"en": "Discord server", "ja": "Discord サーバー"},
    "access.dm_refused": {
        "en": "The bot does not take requests in direct messages here; ask in a channel.",
        "ja": "このボットはダイレクトメッセージでのリクエストを受け付けていません。チャンネルで依頼してください。",
    },
    "access.unknown_identity": {
        "en": "The bot could not tell who sent this request, so it was not run.",
        "ja": "リクエストの送信者を確認できなかったため、実行しませんでした。",
    },
    "access.no_roles": {"en": "(none)", "ja": "（なし）"},
    "rate.user": {
        "en": "You are sending requests faster than this bot allows. Try again in {seconds} s.",
        "ja": "リクエストの送信が速すぎます。{seconds} 秒後にもう一度お試しください。",
    },
    "rate.channel": {
        "en": "This channel is sending requests faster than this bot allows. Try again in {seconds} s.",
        "ja": "このチャンネルからのリクエストが多すぎます。{seconds} 秒後にもう一度お試しください。",
    },
    "rate.tokens": {
        "en": "You have used this hour's allowance of LLM tokens. Try again in {seconds} s.",
        "ja": "この 1 時間の LLM トークンの上限に達しました。{seconds} 秒後にもう一度お試しください。",
    },
    "rate.github": {
        "en": "This GitHub account has started more bot work than this bot allows per hour. Try again in {seconds} s.",
        "ja": "この GitHub アカウントからのボットへの依頼が上限に達しました。{seconds} 秒後にもう一度お試しください。",
    },
    "access.whoami_title": {"en": "Who you are to the bot", "ja": "ボットから見たあなた"},
    "access.identity": {"en": "Identity", "ja": "ID"},
    "access.roles": {"en": "Roles", "ja": "ロール"},
    "access.may": {"en": "Commands you may use", "ja": "使えるコマンド"},
    "access.tools": {"en": "Tools you may call", "ja": "呼び出せるツール"},
    "access.granted": {"en": "{subject} now has the {role} role.", "ja": "{subject} に {role} ロールを付与しました。"},
    "access.already": {"en": "{subject} already had the {role} role.", "ja": "{subject} はすでに {role} ロールを持っています。"},
    "access.revoked": {"en": "{subject} no longer has: {roles}.", "ja": "{subject} から次のロールを外しました: {roles}"},
    "access.nothing_to_revoke": {
        "en": "{subject} has no role granted with /access{role}; roles from the policy file change only there.",
        "ja": "{subject} には /access で付与された{role}ロールがありません。ポリシーファイルのロールはファイルで変更してください。",
    },
    "access.unknown_role": {"en": "There is no role `{role}`. Roles: {roles}", "ja": "`{role}` というロールはありません。ロール: {roles}"},
    "access.bad_subject": {
        "en": "Name whom: a mention (@user, @group, @role) or an identity such as `slack:T0123/U0456`, `github:octocat`.",
        "ja": "対象を指定してください: メンション（@ユーザー、@グループ、@ロール）または `slack:T0123/U0456`、`github:octocat` のような ID。",
    },
    "access.not_yourself": {
        "en": "You cannot take the admin role from yourself; another admin can.",
        "ja": "自分自身から admin ロールを外すことはできません。別の管理者に依頼してください。",
    },
    "access.grants_title": {"en": "Roles granted with /access", "ja": "/access で付与されたロール"},
    "access.no_grants": {"en": "No roles granted at run time.", "ja": "実行時に付与されたロールはありません。"},
    "access.policy_title": {"en": "Roles from the policy ({source})", "ja": "ポリシーのロール（{source}）"},
    "access.granted_by": {"en": "by {who}, {time}", "ja": "{who} が付与、{time}"},
    "access.subject_roles": {
        "en": "{subject}: {roles} (groups and the platform's own roles are added when they make a request)",
        "ja": "{subject}: {roles}（グループやプラットフォーム側のロールはリクエスト時に加わります）",
    },
    "access.link": {
        "en": "Your one-time login link for the dashboard ({role}), valid {minutes} minutes: {url}",
        "ja": "ダッシュボードへの 1 回限りのログインリンク（{role}、{minutes} 分間有効）: {url}",
    },
    "access.no_web": {
        "en": "The web dashboard is not available from this process.",
        "ja": "このプロセスからは Web ダッシュボードを利用できません。",
    },
    "access.audit_title": {"en": "Audit ({count} entries)", "ja": "監査ログ（{count} 件）"},
    "access.audit_none": {"en": "Nothing recorded in that window.", "ja": "この期間の記録はありません。"},
    "access.audit_more": {"en": "Older entries: `/audit {args}`", "ja": "さらに古い記録: `/audit {args}`"},
    "access.bad_since": {
        "en": "`{value}` is not a time window; use e.g. 30m, 24h, 7d.",
        "ja": "`{value}` は期間として解釈できません。30m、24h、7d のように指定してください。",
    },
}
