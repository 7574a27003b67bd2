"""The install pages agree with the code: Slack's manifest and Discord's invite URL are generated."""
from __future__ import annotations

import json
import re
from pathlib import Path

import discord

from bot.adapters.discord.schema import PERMISSIONS, invite_url
from bot.adapters.slack.manifest import main, manifest
from commands import Registry, default_commands

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_slack_manifest_lists_every_visible_command_with_its_help() -> None:
    registry = Registry(default_commands())
    data = manifest(registry, "https://bot.example.com/")
    commands = {c["command"]: c for c in data["features"]["slash_commands"]}
    assert list(commands) == [f"/{c.name}" for c in registry.visible()]
    assert commands["/ask"]["usage_hint"] == "[--model <model>] <question>…"
    # Slack turns `@alice` into `<@U123|alice>` only where should_escape is on: /access grant needs the id
    assert commands["/access"]["should_escape"] and not commands["/ask"]["should_escape"]
    assert all(c["url"] == "https://bot.example.com/slack/events" for c in commands.values())
    assert data["settings"]["event_subscriptions"]["bot_events"] == ["app_mention", "message.im"]
    socket = manifest(registry, "https://x", socket_mode=True)
    assert socket["settings"]["socket_mode_enabled"] and "request_url" not in socket["settings"]["interactivity"]


def test_slack_page_shows_the_generated_manifest(capsys) -> None:
    assert main(["https://bot.example.com"]) == 0
    generated = json.loads(capsys.readouterr().out)
    page = (DOCS / "slack.md").read_text()
    shown = json.loads(re.search(r"```json\n(.*?)\n```", page, re.S).group(1))
    # commands added later may be missing from the page until it is regenerated; the rest must match
    assert {k: v for k, v in shown.items() if k != "features"} == {k: v for k, v in generated.items() if k != "features"}
    generated_commands = {c["command"]: c for c in generated["features"]["slash_commands"]}
    for c in shown["features"]["slash_commands"]:
        assert generated_commands[c["command"]] == c


def test_discord_invite_url_asks_for_the_documented_permissions() -> None:
    perms = discord.Permissions(sum(PERMISSIONS.values()))
    assert perms.send_messages and perms.send_messages_in_threads and perms.attach_files and perms.embed_links
    assert perms.read_message_history and perms.view_channel and perms.use_application_commands
    assert not perms.administrator and not perms.mention_everyone
    url = invite_url(123)
    assert f"permissions={perms.value}" in url
    assert url.replace("123", "<APPLICATION_ID>") in (DOCS / "discord.md").read_text()
