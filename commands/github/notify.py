"""Notifications of GitHub activity into a chat channel: merges, reviews, pushes, tags.

The webhook receiver already extracted what is shown (args); this renders it. Everything in it is
user-written text from GitHub, so mentions are neutralized before it reaches a chat.
"""
from __future__ import annotations

from commands.context import Context
from commands.github.safety import neutralize
from commands.messages import format_fields, t
from commands.model import Reply, Section
from commands.registry import GITHUB, Args, Command, keyed

# webhook kind → catalog key of its headline; any other kind gets a plain "repo: kind" line
_HEADLINES = {
    "merged": "github.notify_merged",
    "approved": "github.notify_approved",
    "changes_requested": "github.notify_changes_requested",
    "push": "github.notify_push",
    "branch_created": "github.notify_branch_created",
    "tag": "github.notify_tag",
}


async def github_notify(ctx: Context, args: Args) -> Reply:
    kind = args["kind"]
    values = {k: neutralize(str(v)) if isinstance(v, str) else v for k, v in args.values.items()}
    key = _HEADLINES.get(kind, "github.notify_other")
    # a field the delivery did not carry shows as "?" rather than failing the notification
    headline = t(key, ctx.locale, **{f: values.get(f, "?") for f in format_fields(t.messages[key]["en"])})
    sections = [Section(headline)]
    if args.get("excerpt"):
        sections.append(Section("> " + neutralize(args["excerpt"]).replace("\n", "\n> ")))
    items = [neutralize(i) for i in args.get("items") or []]
    if items:
        more = int(args.get("more") or 0)
        tail = "\n- " + t("github.notify_more", ctx.locale, more=more) if more else ""
        sections.append(Section("\n".join(f"- {i}" for i in items) + tail))
    return Reply(sections=sections, footer=args.get("url") or None)


COMMAND = Command(
    name="github-notify", help="Post a GitHub notification into chat (webhook).", handler=github_notify,
    hidden=True,
    args=keyed(
        required=("repo", "kind"),
        optional=("number", "title", "url", "actor", "base", "excerpt", "tag", "branch", "count", "authors", "items", "more"),
    ),
    priority=GITHUB,
)
