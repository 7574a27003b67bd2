"""/help: generated from the registry, so it can never disagree with what the bot accepts."""
from __future__ import annotations

from commands.context import Context
from commands.messages import t
from commands.model import Reply, Section
from commands.registry import Arg, Args, Command


def described(key: str, english: str, locale: str) -> str:
    """A command's help in the asker's language: `help.<command>[.<argument>|.long]` when the catalog has
    it (every shipped command does, see test_messages), else the English the record was built with."""
    return t(key, locale) if key in t.messages else english


async def help_command(ctx: Context, args: Args) -> Reply:
    registry = ctx.services.registry
    locale = ctx.locale
    name = args.get("command")
    if name:
        cmd = registry.get(name)  # UnknownCommand is rendered by the caller with suggestions
        lines = [f"`{cmd.usage()}`", described(f"help.{cmd.name}", cmd.help, locale)]
        if cmd.long_help:
            lines.append(described(f"help.{cmd.name}.long", cmd.long_help, locale))
        for a in cmd.args:
            lines.append(f"• `{a.name}`: {described(f'help.{cmd.name}.{a.name}', a.help, locale)}")
        for o in cmd.options:
            lines.append(f"• `--{o.name}`: {described(f'help.{cmd.name}.{o.name}', o.help, locale)}")
        return Reply(sections=[Section("\n".join(lines), title=f"/{cmd.name}")])
    rows = [f"`{c.usage()}`\n    {described(f'help.{c.name}', c.help, locale)}" for c in registry.visible()]
    return Reply(
        sections=[Section("\n".join(rows), title=t("help_title", locale))],
        footer=t("help_footer", locale),
        ephemeral=True,
    )


COMMAND = Command(
    name="help",
    help=t("help.help"),
    handler=help_command,
    args=(Arg("command", t("help.help.command"), required=False),),
)
