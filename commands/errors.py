"""Errors a handler may raise on purpose; anything else is a bug and is logged with an id.

    CommandError
    ├── UserError        shown to the user as written (bad input, missing configuration)
    │   ├── UsageError   bad arguments: the message plus the command's usage line
    │   ├── TryLater     a failure another attempt may not meet (a 5xx, a timeout): for unattended
    │                    triggers the worker runs the execution again later, then shows this text
    │   └── Refused      the policy says no (a tool, a repository): shown only to the asker, counted, audited
    └── UnknownCommand   the name matched nothing; carries close matches
"""
from __future__ import annotations


class CommandError(Exception):
    pass


class UserError(CommandError):
    """A failure the user can act on; its text is shown as written."""


class UsageError(UserError):
    """`key` and `fields` name the catalog message, so the reply can be written in the asker's language;
    the English message stays the exception's text (logs, `str(e)`)."""

    def __init__(self, message: str, usage: str, *, key: str | None = None, fields: dict[str, object] | None = None) -> None:
        super().__init__(message)
        self.usage = usage
        self.key = key
        self.fields = fields or {}

    def __str__(self) -> str:
        return f"{self.args[0]}\nusage: {self.usage}"


class TryLater(UserError):
    """Transient: retried by the worker for unattended triggers (GitHub events, schedules) while attempts
    remain; otherwise, or once they are spent, shown like a UserError."""


class Refused(UserError):
    """A permission the handler checked (`Context.require`) and the requester lacks; `action` names it
    (`tool:db.query`, `review.post`) for the audit trail."""

    def __init__(self, message: str, action: str) -> None:
        super().__init__(message)
        self.action = action


class UnknownCommand(CommandError):
    def __init__(self, name: str, suggestions: list[str]) -> None:
        super().__init__(name)
        self.name = name
        self.suggestions = suggestions
