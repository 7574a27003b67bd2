"""Commands and GitHub handlers. Public surface: the internal model and the command table."""
from __future__ import annotations

from commands.model import Button, Conversation, Event, Image, Reply, Section
from commands.registry import Arg, Args, Command, Option, Registry


def default_commands() -> list[Command]:
    """The command table, as a literal list (order is the order of /help)."""
    from commands import alerts, ask, help, mcp, noop, report, review, status
    from commands.access import commands as access
    from commands.github import notify as gh_notify
    from commands.github import reply as gh_reply
    from commands.github import review as gh_review
    from commands.github import triage as gh_triage

    return [
        help.COMMAND, status.COMMAND, ask.COMMAND, report.COMMAND, alerts.COMMAND, mcp.COMMAND, review.COMMAND,
        access.WHOAMI, access.ACCESS, access.AUDIT, noop.COMMAND,
        gh_review.COMMAND, gh_triage.COMMAND, gh_reply.COMMAND, gh_notify.COMMAND,
    ]


__all__ = [
    "Arg", "Args", "Button", "Command", "Conversation", "Event", "Image", "Option", "Registry", "Reply",
    "Section", "default_commands",
]
