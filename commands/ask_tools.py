"""The /ask tool loop: the model may call MCP tools of the hub before it answers.

Each turn streams (text deltas go to the live message, so the final answer still streams in); when a
turn ends with tool calls, the hub runs them (read-only, with a per-call timeout) and their results go
back to the model, at most ASK_MAX_TOOL_STEPS rounds. What is offered depends on who asks:
- only the tools the access policy lets the asker call (`tool:<name>`; none for members by default);
- untrusted triggers (GitHub events) get the read-only ones among them only;
- in chat or on the console writing tools are offered too, but the loop never runs one: it tells the
  model so and puts a confirmation button (`/mcp call --confirm …`) under the answer.
When a data tool the policy does not share with the channel is offered, the answer is private: nothing
streams into the channel and the reply goes to the asker only.
A tool name the model made up, a refused call or a tool error is reported back to the model as the
tool's result, never raised. Every call (tool, arguments, truncated result) is kept in `ctx.usage.tools`,
which the worker stores on the Execution (`tool_transcript`).
"""
from __future__ import annotations

import contextlib
import dataclasses
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from commands.context import Context
from commands.errors import UserError
from commands.mcp import TRUSTED_TRIGGERS
from commands.messages import t
from commands.model import Button, Reply
from pool import CallMeta, Completion, LLMService, Message, ToolCall, ToolSpec

if TYPE_CHECKING:
    from providers import Hub

RESULT_FOR_MODEL = 6000  # characters of one tool result sent back to the model
RESULT_IN_TRANSCRIPT = 500  # characters of one tool result kept on the Execution


@dataclass(slots=True)
class ToolAnswer:
    text: str
    total: Completion  # the last turn, with tokens, cost and latency summed over every turn
    buttons: list[Button] = field(default_factory=list)  # one per writing tool the model asked for, not run
    pending: list[str] = field(default_factory=list)  # those tools' names
    stopped_after: int | None = None  # the step limit ended the loop after this many rounds


def offered_tools(ctx: Context) -> list[dict[str, Any]]:
    """The hub's tools this requester may have the model call; empty when there is no hub."""
    hub = ctx.services.mcp
    if hub is None:
        return []
    writer = ctx.trigger in TRUSTED_TRIGGERS
    return [s for s in hub.tool_specs(read_only=not writer) if ctx.may(f"tool:{s['name']}")]


def private_answer(ctx: Context, specs: Sequence[dict[str, Any]]) -> bool:
    """Does an offered tool return data the channel may not see? Then the answer is the asker's alone."""
    place = f"{ctx.conversation.platform}:{ctx.conversation.channel}"
    return any(not ctx.services.policy.shared(s["name"], place) for s in specs)


def _dump(value: Any, limit: int) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= limit else text[:limit] + f"… (truncated, {len(text)} characters)"


async def stream_turn(
    ctx: Context, llm: LLMService, messages: Sequence[Message], *, model: str | None, tools: Sequence[ToolSpec],
    meta: CallMeta, shown: str, private: bool = False,
) -> tuple[Completion, str]:
    """One model turn, its text streamed into the live message after `shown` (earlier turns' text)."""
    text, result = "", None
    async with contextlib.aclosing(llm.stream(messages, model=model, tools=tools, meta=meta)) as events:
        async for event in events:
            if isinstance(event, Completion):
                result = event
            else:
                text += event
                if not private:
                    await ctx.progress(Reply.text(shown + text, in_thread=True))
    if result is None:
        raise UserError(t("llm_failed", ctx.locale, provider=llm.name, error="no answer"))
    return result, result.text or text


async def answer_with_tools(
    ctx: Context, llm: LLMService, specs: list[dict[str, Any]], messages: list[Message], *, model: str | None,
    meta: CallMeta, private: bool = False,
) -> ToolAnswer:
    hub = ctx.services.mcp
    assert hub is not None
    max_steps = hub.settings.ask_max_tool_steps
    by_name = {s["function_name"]: s for s in specs} | {s["name"]: s for s in specs}
    tools = [ToolSpec(s["function_name"], s["description"], s["input_schema"]) for s in specs]
    messages = list(messages)
    buttons: list[Button] = []
    turns: list[Completion] = []
    shown = ""
    for step in range(max_steps + 1):
        result, text = await stream_turn(ctx, llm, messages, model=model, tools=tools, meta=meta, shown=shown,
                                         private=private)
        ctx.usage.add(result.provider, result.model, result.tokens_in, result.tokens_out, result.cost)
        turns.append(result)
        if not result.tool_calls or step == max_steps:
            answer = (shown + text).strip()
            pending = [e["tool"] for e in ctx.usage.tools if e.get("error") == "needs_confirmation"]
            stopped = max_steps if result.tool_calls else None
            return ToolAnswer(answer, _summed(turns), buttons, list(dict.fromkeys(pending)), stopped)
        if text:
            shown += text + "\n\n"
        names = ", ".join(f"`{by_name[c.name]['name'] if c.name in by_name else c.name}`" for c in result.tool_calls)
        await ctx.progress(Reply.text(("" if private else shown) + t("ask_calling", ctx.locale, tools=names), in_thread=True))
        messages.append(Message("assistant", text, tool_calls=result.tool_calls))
        for call in result.tool_calls:
            content = await _run_call(ctx, hub, by_name, call, step + 1, buttons)
            messages.append(Message("tool", content, tool_call_id=call.id))
    raise AssertionError("unreachable: the loop returns on its last step")


async def _run_call(
    ctx: Context, hub: Hub, by_name: dict[str, dict[str, Any]], call: ToolCall, step: int, buttons: list[Button]
) -> str:
    """Run one tool call the model asked for; returns what the model is told, and records it."""
    entry: dict[str, Any] = {"step": step, "tool": call.name, "arguments": call.arguments}
    spec = by_name.get(call.name)
    if spec is None:
        known = ", ".join(sorted({s["function_name"] for s in by_name.values()}))
        content = f"error: there is no tool named {call.name!r}. The tools you may call are: {known}."
        ctx.usage.tools.append({**entry, "ok": False, "error": "unknown_tool", "result": content})
        return content
    entry["tool"] = spec["name"]
    repo = call.arguments.get("repo")
    if isinstance(repo, str) and not ctx.may(f"tool:{spec['name']}", repo=repo):
        content = f"error: {spec['name']} may not be used on {repo!r} here (repository not allowed for this user)."
        ctx.usage.tools.append({**entry, "ok": False, "error": "not_allowed", "result": content})
        return content
    if not spec["read_only"]:
        # writing tools are never run by the loop: an operator confirms them with a click
        payload = json.dumps(call.arguments, ensure_ascii=False, separators=(",", ":"))
        label = t("ask_write_button", ctx.locale, tool=spec["name"])
        button = Button(label, "mcp", f"call --confirm {spec['name']} {payload}", style="danger")
        if button not in buttons:
            buttons.append(button)
        content = (f"not run: {spec['name']} may change things, so it needs the user's confirmation; "
                   "a button to run it is shown under your answer. Do not claim it ran.")
        ctx.usage.tools.append({**entry, "ok": False, "error": "needs_confirmation", "result": content})
        return content
    # read_only=True: the hub refuses a writing tool even if one slipped through
    result = await hub.call_tool(spec["name"], call.arguments, read_only=True, timeout=hub.settings.ask_tool_timeout)
    if result.ok:
        content = _dump(result.data, RESULT_FOR_MODEL)
    else:
        content = f"error ({result.error_code}): {result.error_message}"
    ctx.usage.tools.append({**entry, "ok": result.ok, "error": result.error_code, "elapsed_ms": result.elapsed_ms,
                            "result": _dump(content, RESULT_IN_TRANSCRIPT)})
    return content


def _summed(turns: list[Completion]) -> Completion:
    last = turns[-1]
    return dataclasses.replace(
        last,
        tokens_in=sum(c.tokens_in for c in turns), tokens_out=sum(c.tokens_out for c in turns),
        cost=sum(c.cost for c in turns), latency_ms=sum(c.latency_ms for c in turns),
        estimated_usage=any(c.estimated_usage for c in turns), cost_estimated=any(c.cost_estimated for c in turns),
    )


def tools_used_lines(ctx: Context) -> str:
    """One line a call for the section under the answer: '• `db.query` · ok · 3 ms'."""
    lines = []
    for e in ctx.usage.tools:
        outcome = "ok" if e["ok"] else e.get("error") or "error"
        ms = f" · {e['elapsed_ms']:.0f} ms" if e.get("elapsed_ms") is not None else ""
        lines.append(f"• `{e['tool']}` · {outcome}{ms}")
    return "\n".join(lines)
