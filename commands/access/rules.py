"""The actions a request asks for, and the refusal that names what they need (in the asker's language)."""
from __future__ import annotations

from commands.access.policy import Verdict
from commands.messages import t
from commands.registry import Args, Command


def actions_for(cmd: Command, args: Args) -> tuple[str, ...]:
    """`/alerts ack x` → ("alerts", "alerts.ack"); `/review <pr> --post` → ("review", "review.post").
    The subcommand is the first argument when it is a choice; every flag given is an action of its own."""
    found = [cmd.name]
    if cmd.args and cmd.args[0].choices:
        sub = args.get(cmd.args[0].name)
        if sub:
            found.append(f"{cmd.name}.{sub}")
    found.extend(f"{cmd.name}.{o.name}" for o in cmd.options if o.flag and args.get(o.name))
    return tuple(found)


def refusal(verdict: Verdict, locale: str, *, who: str = "@you") -> str:
    """"`tool:db.query` needs operator in <#C0OPS>. Ask an admin: /access grant @you operator". Says the same
    whether or not the tool or repository exists: it is built from the rule patterns alone."""
    action = verdict.action.removeprefix("tool:")
    if not verdict.needs:
        return t("access.repo_refused", locale, action=action)
    parts = []
    for rule in verdict.needs:
        role = t("access.needs_role", locale, role=rule.role)
        if rule.channels:
            role = t("access.needs_in", locale, role=role, places=", ".join(_place(c) for c in rule.channels))
        if rule.repos:
            role = t("access.needs_on", locale, role=role, repos=", ".join(rule.repos))
        parts.append(role)
    return t("access.refused", locale, action=action, needs=t("access.or", locale).join(dict.fromkeys(parts)),
             who=who, role=verdict.needs[0].role)


def _place(selector: str) -> str:
    # Slack and Discord both render <#ID> as a channel link
    platform, sep, channel = selector.partition(":")
    channel = channel if sep else platform
    return f"<#{channel}>" if platform in ("slack", "discord") or not sep else selector


SPACE_SETTINGS = {"slack": "SLACK_TEAM_IDS", "discord": "DISCORD_GUILD_IDS"}


def place_refusal(reason: str, platform: str, locale: str) -> str:
    """Why a request from this place is not taken: `dm`, `workspace` (not in the allow-list) or `identity`."""
    if reason == "dm":
        return t("access.dm_refused", locale)
    if reason == "workspace":
        space = t("access.space.slack" if platform == "slack" else "access.space.discord", locale)
        return t("access.workspace_refused", locale, space=space, setting=SPACE_SETTINGS.get(platform, ""))
    return t("access.unknown_identity", locale)


def rate_refusal(scope: str, seconds: float, locale: str) -> str:
    """Too many requests from this person (`user`), conversation (`channel`) or GitHub sender (`github`)."""
    wait = f"{seconds:.0f}"
    if scope == "channel":
        return t("rate.channel", locale, seconds=wait)
    if scope == "github":
        return t("rate.github", locale, seconds=wait)
    if scope == "tokens":
        return t("rate.tokens", locale, seconds=wait)
    return t("rate.user", locale, seconds=wait)
