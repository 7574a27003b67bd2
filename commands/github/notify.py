"""Notifications of GitHub activity into a chat channel: merges, reviews, pushes, tags.

The webhook receiver already extracted what is shown (args); this renders it. Everything in it is
user-written text from GitHub, so mentions are neutralized before it reaches a chat.
"""
from __future__ import annotations

from commands.context import Context
from commands.github.safety import neutralize
from commands.model import Reply, Section
from commands.registry import GITHUB, Args, Command, keyed

_HEADLINES = {
    "merged": "🔀 Merged into `{base}`: **{repo}#{number}** {title} (by {actor})",
    "approved": "✅ Approved: **{repo}#{number}** {title} (by {actor})",
    "changes_requested": "❌ Changes requested: **{repo}#{number}** {title} (by {actor})",
    "push": "⬆️ {count} commit(s) pushed to `{branch}` of **{repo}** (by {actor})",
    "branch_created": "🌱 Branch `{branch}` of **{repo}** created with {count} commit(s) (by {actor})",
    "tag": "🏷️ Tag `{tag}` created in **{repo}** (by {actor})",
}


async def github_notify(ctx: Context, args: Args) -> Reply:
    kind = args["kind"]
    values = {k: neutralize(str(v)) if isinstance(v, str) else v for k, v in args.values.items()}
    headline = _HEADLINES.get(kind, "{repo}: {kind}").format_map(_Missing(values))
    sections = [Section(headline)]
    if args.get("excerpt"):
        sections.append(Section("> " + neutralize(args["excerpt"]).replace("\n", "\n> ")))
    items = [neutralize(i) for i in args.get("items") or []]
    if items:
        more = int(args.get("more") or 0)
        sections.append(Section("\n".join(f"- {i}" for i in items) + (f"\n- … and {more} more" if more else "")))
    return Reply(sections=sections, footer=args.get("url") or None)


class _Missing(dict):  # type: ignore[type-arg]
    def __missing__(self, key: str) -> str:
        return "?"


COMMAND = Command(
    name="github-notify", help="Post a GitHub notification into chat (webhook).", handler=github_notify,
    hidden=True,
    args=keyed(required=("repo", "kind"), optional=("number", "title", "url", "actor", "base", "excerpt", "tag", "branch", "count",
                "authors", "items", "more")), priority=GITHUB,
)
