"""/help: generated from the registry, so it can never disagree with what the bot accepts."""
from __future__ import annotations

from commands.context import Context
from commands.messages import t
from commands.model import Reply, Section
from commands.registry import Arg, Args, Command


async def help_command(ctx: Context, args: Args) -> Reply:
    registry = ctx.services.registry
    name = args.get("command")
    if name:
        cmd = registry.get(name)  # UnknownCommand is rendered by the caller with suggestions
        lines = [f"`{cmd.usage()}`", cmd.help]
        if cmd.long_help:
            lines.append(cmd.long_help)
        for a in cmd.args:
            lines.append(f"• `{a.name}`: {a.help}")
        for o in cmd.options:
            lines.append(f"• `--{o.name}`: {o.help}")
        return Reply(sections=[Section("\n".join(lines), title=f"/{cmd.name}")])
    rows = [f"`{c.usage()}`\n    {c.help}" for c in registry.visible()]
    return Reply(
        sections=[Section("\n".join(rows), title=t("help_title", ctx.locale))],
        footer=t("help_footer", ctx.locale),
        ephemeral=True,
    )


COMMAND = Command(
    name="help",
    help="List the commands, or show one in detail.",
    handler=help_command,
    args=(Arg("command", "a command name", required=False),),
)
