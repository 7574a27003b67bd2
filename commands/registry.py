"""The command table: `Command` records wrapping plain async handlers, and the argument parser.

The table is a literal list handed to `Registry(...)`; it cannot change after construction, so help,
Slack's manifest and Discord's application commands are all generated from the same data.
"""
from __future__ import annotations

import difflib
import re
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from commands.errors import UnknownCommand, UsageError
from commands.messages import t

if TYPE_CHECKING:
    from commands.context import Context
    from commands.model import Reply

Handler = Callable[["Context", "Args"], Awaitable["Reply"]]

# Priorities for the execution queue: lower runs first.
INTERACTIVE, GITHUB, SCHEDULED = 0, 10, 20


@dataclass(frozen=True, slots=True)
class Arg:
    """A positional argument. `rest` swallows the remainder of the line verbatim (questions, SQL)."""

    name: str
    help: str
    required: bool = True
    rest: bool = False
    choices: tuple[str, ...] | None = None
    default: str | None = None
    bounds: tuple[float, float] | None = None  # a number in [low, high], checked at intake (before anything runs)


@dataclass(frozen=True, slots=True)
class Option:
    """`--name value`, or `--name` alone when `flag` is set."""

    name: str
    help: str
    flag: bool = False
    default: Any = None


@dataclass(frozen=True, slots=True)
class Args:
    values: dict[str, Any] = field(default_factory=dict)

    def __getitem__(self, key: str) -> Any:
        return self.values[key]

    def get(self, key: str, default: Any = None) -> Any:
        v = self.values.get(key)
        return default if v is None else v


@dataclass(frozen=True, slots=True)
class Command:
    name: str
    help: str
    handler: Handler
    args: tuple[Arg, ...] = ()
    options: tuple[Option, ...] = ()
    hidden: bool = False
    priority: int = INTERACTIVE
    long_help: str = ""
    checks_repo: bool = False  # the handler checks the repository it touches (`Context.require(repo=)`)
    uses_llm: bool = False  # spends LLM tokens: the `tokens` rate limit applies
    deadline: float | None = None  # seconds one attempt may run (None: COMMAND_DEADLINE); COMMAND_DEADLINES overrides

    def usage(self) -> str:
        parts = [f"/{self.name}"]
        for o in self.options:
            parts.append(f"[--{o.name}]" if o.flag else f"[--{o.name} <{o.name}>]")
        for a in self.args:
            label = "|".join(a.choices) if a.choices else a.name
            label = f"<{label}>" + ("…" if a.rest else "")
            parts.append(label if a.required else f"[{label}]")
        return " ".join(parts)

    def parse(self, text: str) -> Args:
        return parse_args(self, text)

    def check(self, values: Mapping[str, Any]) -> Args:
        """Arguments handed over as a mapping (GitHub jobs, scheduled work), checked against the same table as
        a typed line: an unknown or missing key fails here, at intake, not later in the worker."""
        return check_args(self, values)


def keyed(required: tuple[str, ...], optional: tuple[str, ...] = ()) -> tuple[Arg, ...]:
    """The argument table of a hidden command fed a mapping (a GitHub job): the keys it takes, so that a
    key renamed on one side fails at intake (`Command.check`) instead of in the worker."""
    if any(isinstance(names, str) for names in (required, optional)):  # `("a")` is a str: mypy sees typed callers only
        raise TypeError("keyed() takes tuples of names, e.g. optional=(\"installation\",)")
    return (*(Arg(k, k) for k in required), *(Arg(k, k, required=False) for k in optional))


_TOKEN = re.compile(r'"([^"]*)"|\'([^\']*)\'|(\S+)')


def parse_args(cmd: Command, text: str) -> Args:
    """Parse `text` (the line after the command name) against `cmd`'s spec.

    Quotes group words; a `rest` argument keeps the raw remainder so that apostrophes in a question
    ("what's new?") or SQL need no quoting.
    """
    values: dict[str, Any] = {o.name: (False if o.flag else o.default) for o in cmd.options}
    options = {o.name: o for o in cmd.options}
    positionals = list(cmd.args)
    pos = 0
    text = text.strip()
    while pos < len(text):  # options may also follow the last positional ("/review <url> --post")
        m = _TOKEN.match(text, pos)
        if m is None:  # only whitespace left
            pos += 1
            continue
        token = next(g for g in m.groups() if g is not None)
        is_quoted = m.group(3) is None
        if not is_quoted and token.startswith("--") and len(token) > 2:
            name, _, inline = token[2:].partition("=")
            opt = options.get(name)
            if opt is None:
                raise _usage(cmd, "usage_unknown_option", name=name)
            pos = _skip_space(text, m.end())
            if opt.flag:
                values[name] = True
                continue
            if inline:
                values[name] = inline
                continue
            nxt = _TOKEN.match(text, pos)
            if nxt is None:
                raise _usage(cmd, "usage_needs_value", name=name)
            values[name] = next(g for g in nxt.groups() if g is not None)
            pos = _skip_space(text, nxt.end())
            continue
        if not positionals:
            break
        arg = positionals.pop(0)
        if arg.rest:
            values[arg.name] = text[pos:].strip()
            pos = len(text)
            break
        if arg.choices and token not in arg.choices:
            raise _usage(cmd, "usage_choices", name=arg.name, choices=", ".join(arg.choices))
        _check_bounds(cmd, arg, token)
        values[arg.name] = token
        pos = _skip_space(text, m.end())
    if pos < len(text) and text[pos:].strip():
        raise _usage(cmd, "usage_unexpected", text=text[pos:].strip())
    for arg in positionals:
        if arg.required:
            raise _usage(cmd, "usage_missing", name=arg.name)
        values[arg.name] = arg.default
    return Args(values)


def _check_bounds(cmd: Command, arg: Arg, value: Any) -> None:
    if arg.bounds is None:
        return
    low, high = arg.bounds
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = float("nan")
    if not low <= number <= high:  # NaN and inf fail too
        raise _usage(cmd, "usage_range", name=arg.name, low=f"{low:g}", high=f"{high:g}")


def check_args(cmd: Command, given: Mapping[str, Any]) -> Args:
    values: dict[str, Any] = {o.name: (False if o.flag else o.default) for o in cmd.options}
    known = {a.name for a in cmd.args} | set(values)
    unknown = sorted(k for k in given if k not in known)
    if unknown:
        raise _usage(cmd, "usage_unknown_argument", name=unknown[0])
    for arg in cmd.args:
        value = given.get(arg.name)
        if value is None:
            if arg.required:
                raise _usage(cmd, "usage_missing", name=arg.name)
            values[arg.name] = arg.default
        elif arg.choices and value not in arg.choices:
            raise _usage(cmd, "usage_choices", name=arg.name, choices=", ".join(arg.choices))
        else:
            _check_bounds(cmd, arg, value)
            values[arg.name] = value
    for name in values.keys() & given.keys() - {a.name for a in cmd.args}:
        values[name] = given[name]
    return Args(values)


def _usage(cmd: Command, key: str, **fields: object) -> UsageError:
    return UsageError(t(key, "en", **fields), cmd.usage(), key=key, fields=fields)


def _skip_space(text: str, pos: int) -> int:
    while pos < len(text) and text[pos].isspace():
        pos += 1
    return pos


class Registry:
    """An immutable table of commands, looked up by name (with or without the leading slash)."""

    def __init__(self, commands: Iterable[Command]) -> None:
        table: dict[str, Command] = {}
        for c in commands:
            if c.name in table:
                raise ValueError(f"command /{c.name} is registered twice")
            table[c.name] = c
        self._table = table

    def __iter__(self) -> Iterator[Command]:
        return iter(self._table.values())

    def visible(self) -> list[Command]:
        return [c for c in self._table.values() if not c.hidden]

    def get(self, name: str) -> Command:
        key = name.lstrip("/").lower()
        try:
            return self._table[key]
        except KeyError:
            raise self.unknown(key) from None

    def unknown(self, name: str) -> UnknownCommand:
        """The error for a name nobody may type here, with the visible commands close to it."""
        names = [c.name for c in self.visible()]
        return UnknownCommand(name, difflib.get_close_matches(name, names, n=3, cutoff=0.5))

    def split(self, line: str) -> tuple[Command, str]:
        """'/ask what is up' → (ask, 'what is up'). A line with no command name is an empty command."""
        stripped = line.strip()
        if not stripped:
            raise UnknownCommand("", [])
        head, _, rest = stripped.partition(" ")
        # full-width space (U+3000) is common in Japanese input
        if "\u3000" in head:
            head, _, more = head.partition("\u3000")
            rest = f"{more} {rest}".strip()
        return self.get(head), rest

    def resolve(self, line: str, command: str | None = None) -> tuple[Command, Args]:
        """Find and parse; raise UnknownCommand or UsageError for the caller to render."""
        if command is not None:
            cmd, rest = self.get(command), line
        else:
            cmd, rest = self.split(line)
        return cmd, cmd.parse(rest)
