"""Command lines from chat input, shared by the Slack and Discord adapters.

A mention (`@bot status`, `@bot what changed?`) becomes a command line; Discord's typed options become
the same line a Slack user would type, so both platforms go through one parser and store equal args.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from commands.errors import UnknownCommand, UsageError
from commands.registry import Command, Registry

ASK = "ask"
_MENTION = re.compile(r"<@!?&?[A-Za-z0-9]+(?:\|[^>]*)?>")


def strip_mentions(text: str) -> str:
    """Remove user mentions (`<@U123>`, `<@123>`, `<@!123>`) and collapse the spaces they leave."""
    return " ".join(_MENTION.sub(" ", text).split())


def mention_line(registry: Registry, text: str) -> str:
    """What a mention asks for: `/cmd …` as typed, a command word that parses (`status`), else `/ask <text>`.

    A first word that happens to name a command but does not parse ("help me with X") is a question.
    """
    text = strip_mentions(text)
    if text.startswith("/"):
        return text
    try:
        registry.resolve(text)
    except (UnknownCommand, UsageError):
        return f"/{ASK} {text}"
    return f"/{text}"


def _quote(value: str) -> str:
    if value and not any(c.isspace() for c in value) and value[0] not in "\"'" and not value.startswith("--"):
        return value
    return f"'{value}'" if '"' in value else f'"{value}"'


def options_line(cmd: Command, values: Mapping[str, Any]) -> str:
    """Named values (Discord options) → the text the command parser reads back into the same values.

    Positionals are emitted in order and stop at the first one missing: the parser is positional, so a
    later value could not be placed without it.
    """
    parts: list[str] = []
    for o in cmd.options:
        v = values.get(o.name)
        if v is None or v is False:
            continue
        parts.append(f"--{o.name}" if o.flag else f"--{o.name} {_quote(str(v))}")
    for a in cmd.args:
        v = values.get(a.name)
        if v is None:
            break
        parts.append(str(v).strip() if a.rest else _quote(str(v)))
    return " ".join(parts)


def split_text(text: str, limit: int) -> list[str]:
    """Cut at line breaks (else spaces, else anywhere) so each piece fits `limit`."""
    pieces: list[str] = []
    while len(text) > limit:
        cut = text.rfind("\n", 0, limit)
        if cut <= 0:
            cut = text.rfind(" ", 0, limit)
        if cut <= 0:
            cut = limit
        pieces.append(text[:cut])
        text = text[cut:].lstrip("\n")
    if text or not pieces:
        pieces.append(text)
    return pieces
