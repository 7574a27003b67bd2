"""Application commands generated from the command registry, so Discord shows what the bot accepts.

Each `Command` becomes a CHAT_INPUT command; each `Arg` a STRING option (choices kept), each `Option`
a STRING option or, for flags, a BOOLEAN. Discord wants required options first and names/descriptions
within 32/100 characters.
"""
from __future__ import annotations

from typing import Any

from commands.registry import Command, Registry

STRING, BOOLEAN, SUB_COMMAND, SUB_COMMAND_GROUP = 3, 5, 1, 2
CHAT_INPUT = 1


def _desc(text: str) -> str:
    text = " ".join(text.split()) or "-"
    return text if len(text) <= 100 else text[:99] + "…"


def command_payload(cmd: Command) -> dict[str, Any]:
    options: list[dict[str, Any]] = []
    for a in cmd.args:
        opt: dict[str, Any] = {"type": STRING, "name": a.name.lower()[:32], "description": _desc(a.help), "required": a.required}
        if a.choices:
            opt["choices"] = [{"name": c, "value": c} for c in a.choices[:25]]
        options.append(opt)
    for o in cmd.options:
        options.append({
            "type": BOOLEAN if o.flag else STRING, "name": o.name.lower()[:32], "description": _desc(o.help), "required": False,
        })
    options.sort(key=lambda o: not o["required"])  # stable: keeps the registry's order otherwise
    return {"name": cmd.name.lower()[:32], "type": CHAT_INPUT, "description": _desc(cmd.help), "options": options}


def commands_payload(registry: Registry) -> list[dict[str, Any]]:
    return [command_payload(c) for c in registry.visible()]


def option_values(options: list[dict[str, Any]] | None) -> tuple[list[str], dict[str, Any]]:
    """Interaction options → (subcommand path, {name: value}); our own commands have no subcommands."""
    path: list[str] = []
    values: dict[str, Any] = {}
    for opt in options or []:
        if opt.get("type") in (SUB_COMMAND, SUB_COMMAND_GROUP):
            path.append(opt["name"])
            sub_path, sub_values = option_values(opt.get("options"))
            path += sub_path
            values.update(sub_values)
        else:
            values[opt["name"]] = opt.get("value")
    return path, values


# What the bot needs in a channel: see it, read the message it replies to, answer (also in threads)
# with embeds and files, and offer slash commands.
PERMISSIONS = {
    "view_channel": 1 << 10,
    "send_messages": 1 << 11,
    "embed_links": 1 << 14,
    "attach_files": 1 << 15,
    "read_message_history": 1 << 16,
    "use_application_commands": 1 << 31,
    "send_messages_in_threads": 1 << 38,
}


def invite_url(application_id: str | int) -> str:
    return (
        f"https://discord.com/oauth2/authorize?client_id={application_id}"
        f"&scope=bot+applications.commands&permissions={sum(PERMISSIONS.values())}"
    )
