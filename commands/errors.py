"""Errors a handler may raise on purpose; anything else is a bug and is logged with an id.

    CommandError
    ├── UserError        shown to the user as written (bad input, missing configuration)
    │   └── UsageError   bad arguments: the message plus the command's usage line
    └── UnknownCommand   the name matched nothing; carries close matches
"""
from __future__ import annotations


class CommandError(Exception):
    pass


class UserError(CommandError):
    """A failure the user can act on; its text is shown as written."""


class UsageError(UserError):
    def __init__(self, message: str, usage: str) -> None:
        super().__init__(message)
        self.usage = usage

    def __str__(self) -> str:
        return f"{self.args[0]}\nusage: {self.usage}"


class UnknownCommand(CommandError):
    def __init__(self, name: str, suggestions: list[str]) -> None:
        super().__init__(name)
        self.name = name
        self.suggestions = suggestions
