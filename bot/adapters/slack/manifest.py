"""The Slack app manifest, generated from the command registry: `python -m bot.adapters.slack.manifest URL`.

Paste the output at api.slack.com/apps → Create New App → From a manifest. The slash commands, their
descriptions and usage hints come from the same `Command` records as /help, so the app in Slack never
disagrees with what the bot accepts.
"""
from __future__ import annotations

import json
import sys
from typing import Any

from commands.registry import Registry

BOT_SCOPES = [
    "app_mentions:read",  # app_mention events: @bot in channels
    "chat:write",  # chat.postMessage / update / postEphemeral
    "commands",  # slash commands
    "files:write",  # charts through files_upload_v2
    "im:history",  # message.im events: direct messages to the bot
    "usergroups:read",  # usergroups.users.list: who is in a user group the access policy names
    "users:read",  # users.info: whether the asker is a guest (restricted account)
]
BOT_EVENTS = ["app_mention", "message.im"]
# Commands that name people: with should_escape Slack sends `@alice` as `<@U123|alice>`, an id the grant can
# be stored under (a display name can be changed by its owner, and two people may share one).
ESCAPED = frozenset({"access", "audit"})


def manifest(registry: Registry, base_url: str, *, name: str = "ChatOps", socket_mode: bool = False) -> dict[str, Any]:
    url = base_url.rstrip("/") + "/slack/events"
    commands = []
    for c in registry.visible():
        entry: dict[str, Any] = {"command": f"/{c.name}", "description": c.help[:100], "should_escape": c.name in ESCAPED}
        hint = c.usage().removeprefix(f"/{c.name}").strip()
        if hint:
            entry["usage_hint"] = hint[:1000]
        if not socket_mode:
            entry["url"] = url
        commands.append(entry)
    events: dict[str, Any] = {"bot_events": BOT_EVENTS}
    interactivity: dict[str, Any] = {"is_enabled": True}
    if not socket_mode:
        events["request_url"] = url
        interactivity["request_url"] = url
    return {
        "display_information": {"name": name, "description": "Slash commands, LLM answers, alerts and reports"},
        "features": {
            "app_home": {"messages_tab_enabled": True, "messages_tab_read_only_enabled": False},
            "bot_user": {"display_name": name.lower(), "always_online": True},
            "slash_commands": commands,
        },
        "oauth_config": {"scopes": {"bot": BOT_SCOPES}},
        "settings": {
            "event_subscriptions": events,
            "interactivity": interactivity,
            "org_deploy_enabled": False,
            "socket_mode_enabled": socket_mode,
            "token_rotation_enabled": False,
        },
    }


def main(argv: list[str]) -> int:
    from commands import default_commands

    if not argv or argv[0] in ("-h", "--help"):
        print("usage: python -m bot.adapters.slack.manifest https://bot.example.com [--socket-mode]", file=sys.stderr)
        return 2
    data = manifest(Registry(default_commands()), argv[0], socket_mode="--socket-mode" in argv)
    print(json.dumps(data, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
