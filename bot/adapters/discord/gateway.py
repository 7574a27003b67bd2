"""Discord interactions and mentions → Events, over the gateway (discord.py).

The Execution is stored first, then the interaction is acknowledged within Discord's 3 seconds: a
deferred "thinking…" response for a slash command, a deferred update for a button, or, for bad input,
an ephemeral message with the usage line. Interaction ids and message ids are the idempotency keys, so
a gateway replay stores nothing twice. Application commands are synced from the registry at start:
to each guild in DISCORD_GUILD_IDS (instant), else globally (up to an hour to appear).
"""
from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import discord

from bot.adapters.discord import render, schema
from bot.adapters.discord.target import PLATFORM, DiscordTarget
from bot.adapters.lines import mention_line, options_line
from bot.adapters.messages import t
from bot.intake import Accepted, Intake, Rejected
from commands.access import identity
from commands.errors import UnknownCommand
from commands.model import Event
from commands.registry import Registry

log = logging.getLogger("chatops.discord")
SOURCE = "discord"


def _locale(interaction: discord.Interaction) -> str | None:
    loc = getattr(interaction, "locale", None)
    return str(loc.value) if loc is not None else None


def _data(interaction: discord.Interaction) -> Mapping[str, Any]:
    """The interaction's payload, read by key (discord.py types it as a union of TypedDicts)."""
    return interaction.data or {}


def who(user: discord.abc.User, guild_id: int | None) -> tuple[str, tuple[str, ...]]:
    """The identity (`discord:<guild>/<user>`, `discord:dm/<user>`) and, when the payload carries a
    Member, its roles as `discord-role:<guild>/<role>` selectors: read from the payload, no API call."""
    ident = identity.discord(str(guild_id) if guild_id else None, str(user.id))
    if guild_id is None or not isinstance(user, discord.Member):
        return ident, ()
    # Member.roles lists only the roles in the guild cache (and needs the guild); the payload's raw id
    # list (`_roles`) is complete and costs nothing
    ids = set(getattr(user, "_roles", ()))
    if isinstance(user.guild, discord.Guild):
        ids |= {r.id for r in user.roles if not r.is_default()}
    return ident, tuple(f"discord-role:{guild_id}/{rid}" for rid in sorted(ids) if rid != guild_id)


def command_line(registry: Registry, data: dict[str, Any]) -> tuple[str, str, dict[str, Any]]:
    """Application command data → (name, the line a user would type, option values)."""
    name = str(data.get("name", ""))
    path, values = schema.option_values(data.get("options"))
    try:
        cmd = registry.get(name)
    except UnknownCommand:  # intake answers "unknown command" with suggestions
        return name, " ".join([*path, *(str(v) for v in values.values())]), values
    if path and cmd.args and cmd.args[0].name not in values:
        # a subcommand (registered elsewhere) fills the first positional, e.g. <action>
        values, path = {cmd.args[0].name: " ".join(path), **values}, []
    return name, " ".join([*path, options_line(cmd, values)]).strip(), values


def command_event(registry: Registry, interaction: discord.Interaction) -> Event:
    name, line, values = command_line(registry, dict(_data(interaction)))
    target = DiscordTarget(
        str(interaction.channel_id), "i", str(interaction.application_id), str(interaction.id), interaction.token
    )
    user, groups = who(interaction.user, interaction.guild_id)
    return Event(
        source=SOURCE,
        user=user,
        groups=groups,
        user_name=interaction.user.name,
        conversation=target.conversation(),
        text=line,
        command=name,
        locale=_locale(interaction),
        raw={
            "interaction_id": str(interaction.id), "command": name, "options": values,
            "guild_id": str(interaction.guild_id or ""),
        },
    )


def button_event(interaction: discord.Interaction, line: str | None = None) -> Event:
    """A click → `/{action} {value}`; `line` is the stored command line of a `~<key>` button."""
    cid = str(_data(interaction).get("custom_id", ""))
    target = DiscordTarget(
        str(interaction.channel_id), "c", str(interaction.application_id), str(interaction.id), interaction.token
    )
    user, groups = who(interaction.user, interaction.guild_id)
    return Event(
        source=SOURCE,
        user=user,
        groups=groups,
        user_name=interaction.user.name,
        conversation=target.conversation(),
        text=line if line is not None else render.parse_custom_id(cid),
        locale=_locale(interaction),
        trigger="button",
        raw={"interaction_id": str(interaction.id), "custom_id": cid},
    )


def mention_event(registry: Registry, message: discord.Message) -> Event:
    target = DiscordTarget(str(message.channel.id), "m", message_id=str(message.id), user=str(message.author.id))
    # a guild not in the cache (no GUILD_CREATE yet) still names itself in the message's channel
    guild_id = message.guild.id if message.guild is not None else getattr(message.channel, "guild_id", None)
    user, groups = who(message.author, guild_id)
    return Event(
        source=SOURCE,
        user=user,
        groups=groups,
        user_name=message.author.name,
        conversation=target.conversation(),
        text=mention_line(registry, message.content),
        raw={"message_id": str(message.id), "channel_id": str(message.channel.id)},
    )


class GatewayClient(discord.Client):
    def __init__(self, intake: Intake, registry: Registry, guild_ids: list[int], **options: Any) -> None:
        intents = discord.Intents.default()  # mentions carry their content without the privileged intent
        super().__init__(intents=intents, allowed_mentions=discord.AllowedMentions.none(), **options)
        self.intake, self.registry, self.guild_ids = intake, registry, guild_ids
        self.synced: list[dict[str, Any]] = []

    async def setup_hook(self) -> None:
        payload = schema.commands_payload(self.registry)
        app_id = self.application_id
        if app_id is None:
            log.warning("discord: no application id; application commands not synced")
            return
        try:
            if self.guild_ids:
                for gid in self.guild_ids:
                    await self.http.bulk_upsert_guild_commands(app_id, gid, payload)
            else:
                await self.http.bulk_upsert_global_commands(app_id, payload)
        except discord.HTTPException as e:  # the bot still answers mentions; say why commands are missing
            log.error("discord: syncing %d application commands failed: %s", len(payload), e)
            return
        self.synced = payload
        where = f"guilds {', '.join(map(str, self.guild_ids))}" if self.guild_ids else "globally"
        log.info("discord: %d application commands synced %s", len(payload), where)

    async def on_interaction(self, interaction: discord.Interaction) -> None:
        if interaction.type == discord.InteractionType.application_command:
            event = command_event(self.registry, interaction)
        elif interaction.type == discord.InteractionType.component and _data(interaction).get("component_type") == 2:
            key = render.stored_key(str(_data(interaction).get("custom_id", "")))
            line = await self.intake.store.button_line(key) if key is not None else None
            if key is not None and line is None:
                await interaction.response.send_message(
                    t("button_expired", _locale(interaction)), ephemeral=True, allowed_mentions=discord.AllowedMentions.none()
                )
                return
            event = button_event(interaction, line)
        else:
            return  # autocomplete, modals, selects: not used by this bot
        result = await self.intake.submit(event, idempotency_key=f"discord:{interaction.id}")
        if isinstance(result, Rejected):
            await interaction.response.send_message(
                render.content(result.reply)[: render.CONTENT_CHARS], ephemeral=True,
                allowed_mentions=discord.AllowedMentions.none(),
            )
        elif interaction.type == discord.InteractionType.application_command:
            await interaction.response.defer(thinking=True)
        else:
            await interaction.response.defer()

    async def on_message(self, message: discord.Message) -> None:
        if message.author.bot or self.user is None:
            return
        direct = isinstance(message.channel, discord.DMChannel)  # a DM to the bot needs no mention
        if not direct and not any(u.id == self.user.id for u in message.mentions):
            return
        result = await self.intake.submit(mention_event(self.registry, message), idempotency_key=f"discord:msg:{message.id}")
        if isinstance(result, Rejected):
            content = render.content(result.reply)[: render.CONTENT_CHARS]
            if direct or not result.reply.ephemeral:
                await message.reply(content, allowed_mentions=discord.AllowedMentions.none())
            else:
                await _tell_privately(message, content)
        elif isinstance(result, Accepted):
            log.debug("discord: mention %s stored as execution %s", message.id, result.execution_id)


async def _tell_privately(message: discord.Message, content: str) -> None:
    """A channel message is public and Discord has no ephemeral one outside interactions: an answer only
    for the asker (a refusal, a usage error) goes to their DMs. DMs closed to the bot: a reaction on the
    mention says it was not taken, and the text is not posted where others read it."""
    try:
        await message.author.send(content, allowed_mentions=discord.AllowedMentions.none())
    except discord.HTTPException as e:
        log.info("discord: could not DM %s the answer to mention %s (HTTP %s); reacting instead",
                 message.author.id, message.id, e.status)
        try:
            await message.add_reaction(REFUSED_REACTION)
        except discord.HTTPException:
            log.info("discord: could not react to mention %s either", message.id)


REFUSED_REACTION = "\N{NO ENTRY}"

__all__ = ["GatewayClient", "PLATFORM", "button_event", "command_event", "mention_event"]
