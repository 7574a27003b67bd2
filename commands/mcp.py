"""/mcp: list the tools of the mounted MCP servers and call one.

Who may list and call which tool is the access policy's (`tool:<name>` actions, commands/access/policy.py):
a tool the asker may not call is neither listed nor named differently from one that does not exist.
Read-only tools run at once. A writing tool (an external tool the MCP_SERVERS file does not vouch for)
also needs a trusted trigger (chat or console, not a GitHub event) and a click on the confirmation
button, which comes back as `/mcp call --confirm <tool> <json>` (and passes the gate again, as the
person who clicked). Results of data tools (db.*, shopify.*) are shown only to the asker unless the
policy shares that tool with the channel.
"""
from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from commands.context import Context
from commands.errors import Refused, UserError
from commands.mcp_args import parse_arguments, usage
from commands.messages import t
from commands.model import Button, Reply, Section
from commands.registry import Arg, Args, Command, Option

if TYPE_CHECKING:
    from providers import Hub

TRUSTED_TRIGGERS = frozenset({"chat", "console"})
MAX_OUTPUT = 3500


def _hub(ctx: Context) -> Hub:
    if ctx.services.mcp is None:
        raise UserError(t("mcp.not_started", ctx.locale))
    return ctx.services.mcp


async def mcp_command(ctx: Context, args: Args) -> Reply:
    if args["action"] == "list":
        return list_tools(ctx, args.get("rest", ""))
    if args["action"] == "confirm":
        return await confirm_tool(ctx, args.get("rest", "").strip())
    return await call_tool(ctx, args.get("rest", ""), confirmed=bool(args.get("confirm")))


def list_tools(ctx: Context, needle: str) -> Reply:
    hub = _hub(ctx)
    sections: list[Section] = []
    for state in hub.states():
        tools = [x for x in hub.list_tools()
                 if x.server == state.name and needle.lower() in x.name.lower() and ctx.may(f"tool:{x.name}")]
        lines = [
            f"• `{x.name}` {'' if x.read_only else '✎ '}— {(x.description or '').split('. ')[0].strip()[:120]}"
            for x in tools
        ]
        if state.state != "up":
            error = state.last_error or t("status.mcp_starting", ctx.locale)
            lines.append(t("mcp.server_down", ctx.locale, name=state.name, state=state.state, error=error))
        if lines:
            sections.append(Section("\n".join(lines), title=f"{state.name} ({state.transport}, {state.state})"))
    notes = [t("mcp.not_configured", ctx.locale, name=n, reason=r) for n, r in hub.skipped.items()]
    if notes:
        sections.append(Section("\n".join(notes)))
    if not sections:
        return Reply.text(t("mcp.no_tools", ctx.locale), ephemeral=True)
    return Reply(sections=[Section("", title=t("mcp.tools_title", ctx.locale)), *sections],
                 footer=t("mcp.list_footer", ctx.locale), ephemeral=True)


async def call_tool(ctx: Context, rest: str, *, confirmed: bool) -> Reply:
    hub = _hub(ctx)
    name, _, text = rest.strip().partition(" ")
    if not name:
        raise UserError(t("mcp.missing_tool", ctx.locale))
    # before the lookup: a refusal must not tell whether the tool exists; the repository comes below
    ctx.require(f"tool:{name}", repo_later=True)
    from providers import UnknownTool

    try:
        tool = hub.get(name)
    except UnknownTool as e:
        lines = [t("mcp.unknown_tool", ctx.locale, name=e.name)]
        if e.hint:
            lines.append(e.hint)
        if e.suggestions:
            lines.append(t("did_you_mean", ctx.locale, names=", ".join(f"`{s}`" for s in e.suggestions)))
        lines.append(t("mcp.see_list", ctx.locale))
        raise UserError("\n".join(lines)) from None
    arguments = parse_arguments(text, tool.input_schema, ctx.locale)
    problems = hub.validate(tool, arguments)
    if problems:
        raise UserError(t("mcp.invalid_arguments", ctx.locale, tool=tool.name,
                          problems="\n".join(f"• {p}" for p in problems), usage=usage(tool.name, tool.input_schema)))
    repo = arguments.get("repo")
    # GITHUB_ALLOWED_REPOS and per-repository rules; a tool without a repository meets a rule limited to
    # repositories as a refusal
    ctx.require(f"tool:{tool.name}", repo=repo if isinstance(repo, str) else None)
    trusted = ctx.trigger in TRUSTED_TRIGGERS
    if not tool.read_only:
        if not trusted:
            raise UserError(t("mcp.read_only_here", ctx.locale, tool=tool.name, trigger=ctx.trigger))
        if not confirmed:
            shown = json.dumps(arguments, ensure_ascii=False, indent=2)
            return Reply(
                sections=[Section(t("mcp.confirm", ctx.locale, tool=tool.name, arguments=shown))],
                buttons=[Button(t("mcp.confirm_button", ctx.locale, tool=tool.name), "mcp",
                                await _confirmation(ctx, tool.name, arguments), style="danger")],
                ephemeral=True,
            )
    return await _call(ctx, hub, tool, arguments, trusted=trusted)


async def _confirmation(ctx: Context, tool: str, arguments: dict[str, Any]) -> str:
    """What the confirmation button sends back: a one-time nonce bound to the asker, the tool and the arguments
    (`/mcp confirm <nonce>`), or, without the bot's storage (a bare command table), the typed form."""
    writes = ctx.services.writes
    if writes is None:
        return f"call --confirm {tool} {json.dumps(arguments, ensure_ascii=False, separators=(',', ':'))}"
    return f"confirm {await writes.ask(ctx.requester, tool, arguments)}"


async def confirm_tool(ctx: Context, nonce: str) -> Reply:
    """A click on a confirmation button: once, by the person who asked, within its ten minutes."""
    writes = ctx.services.writes
    if writes is None or not nonce:
        raise UserError(t("mcp.confirm_gone", ctx.locale))
    confirmed = await writes.confirm(nonce, ctx.requester)
    if confirmed == "other":
        raise Refused(t("mcp.confirm_other", ctx.locale), "mcp.confirm")
    if isinstance(confirmed, str):
        raise UserError(t("mcp.confirm_gone", ctx.locale))
    hub = _hub(ctx)
    ctx.require(f"tool:{confirmed.tool}", repo_later=True)  # the roles may have changed since the question
    from providers import UnknownTool

    try:
        tool = hub.get(confirmed.tool)
    except UnknownTool:
        raise UserError(t("mcp.unknown_tool", ctx.locale, name=confirmed.tool)) from None
    repo = confirmed.arguments.get("repo")
    ctx.require(f"tool:{tool.name}", repo=repo if isinstance(repo, str) else None)
    return await _call(ctx, hub, tool, confirmed.arguments, trusted=True)


async def _call(ctx: Context, hub: Hub, tool: Any, arguments: dict[str, Any], *, trusted: bool) -> Reply:
    writes = ctx.services.writes
    if not tool.read_only and writes is not None and not await writes.begin_effect(ctx.execution_id, f"tool:{tool.name}"):
        # an earlier attempt of this execution started the call and was cut off (a worker killed mid-call):
        # calling again could do it twice; the person decides, with a fresh confirmation
        return Reply(sections=[Section(t("mcp.may_have_run", ctx.locale, tool=tool.name))],
                     buttons=[Button(t("mcp.retry_button", ctx.locale, tool=tool.name), "mcp",
                                     await _confirmation(ctx, tool.name, arguments), style="danger")],
                     ephemeral=True, error=True)
    # the same key for every attempt of this execution's call, for servers and APIs that dedupe on one
    key = None if tool.read_only else f"execution:{ctx.execution_id}:tool:{tool.name}"
    result = await hub.call_tool(tool.name, arguments, read_only=not trusted, idempotency_key=key)
    footer = f"{result.provider} · {result.tool} · {result.elapsed_ms:.0f} ms"
    if not result.ok:
        return Reply.failure(
            t("mcp.call_failed", ctx.locale, tool=tool.name, code=result.error_code, message=result.error_message),
            footer=footer,
        )
    shared = ctx.services.policy.shared(tool.name, f"{ctx.conversation.platform}:{ctx.conversation.channel}")
    return Reply(sections=[Section(render(result.data, ctx.locale))], footer=footer, in_thread=True, ephemeral=not shared)


def render(data: Any, locale: str = "en") -> str:
    """Rows as an aligned table; anything else as indented JSON; both cut at MAX_OUTPUT characters."""
    note = ""
    if isinstance(data, dict) and isinstance(data.get("columns"), list) and isinstance(data.get("rows"), list):
        body = _table(data["columns"], data["rows"])
        note = f"\n_{data['note']}_" if data.get("note") else ""
    else:
        body = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False, indent=2)
    if len(body) > MAX_OUTPUT:
        body = body[:MAX_OUTPUT] + "\n" + t("mcp.truncated", locale, n=MAX_OUTPUT)
    return f"```\n{body}\n```{note}"


def _table(columns: list[Any], rows: list[list[Any]]) -> str:
    cells = [[str(c) for c in columns]] + [["NULL" if v is None else str(v) for v in r] for r in rows]
    widths = [min(40, max(len(row[i]) for row in cells)) for i in range(len(columns))]
    # strict=False: a server's row may carry more values than it names columns; those are cut to the columns
    lines = [" | ".join(v[:40].ljust(w) for v, w in zip(row, widths, strict=False)) for row in cells]
    lines.insert(1, "-+-".join("-" * w for w in widths))
    return "\n".join(lines) + f"\n({len(rows)} row{'s' if len(rows) != 1 else ''})"


COMMAND = Command(
    name="mcp",
    help=t("help.mcp"),
    handler=mcp_command,
    args=(
        Arg("action", t("help.mcp.action"), choices=("list", "call", "confirm")),
        Arg("rest", t("help.mcp.rest"), required=False, rest=True),
    ),
    options=(Option("confirm", t("help.mcp.confirm"), flag=True),),
    long_help=t("help.mcp.long"),
)
