"""/ask [--model alias] <question>: a question answered by the LLM, streamed into the reply as it comes."""
from __future__ import annotations

import contextlib

from commands.ask_tools import ToolAnswer, answer_with_tools, offered_tools, private_answer, tools_used_lines
from commands.context import Context
from commands.errors import UserError
from commands.llm import pool_refusals
from commands.messages import t
from commands.model import Reply, Section
from commands.registry import Arg, Args, Command, Option
from pool import Completion, Message

SYSTEM_PROMPT = (
    "You are a helpful assistant inside a team's chat. Answer concisely in the language of the question. "
    "Use Markdown sparingly."
)


def footer(result: Completion) -> str:
    approx = "~" if result.estimated_usage else ""
    amount = f"${result.cost:.4f}" if result.cost >= 0.01 else f"${result.cost:.6f}"
    cost = f"≈{amount} (unpriced model, charged at the estimate)" if result.cost_estimated else amount
    return (
        f"{result.model} via {result.provider} · {approx}{result.tokens_in}+{result.tokens_out} tokens · "
        f"{cost} · {result.latency_ms:.0f} ms"
    )


async def ask_command(ctx: Context, args: Args) -> Reply:
    llm = ctx.llm()
    messages = [Message("system", SYSTEM_PROMPT), Message("user", args["question"])]
    meta = ctx.llm_meta(COMMAND.priority)
    text, result = "", None
    with pool_refusals(ctx.locale):
        specs = offered_tools(ctx)
        if specs:  # the hub has tools for this requester: the tool loop (commands/ask_tools.py)
            private = private_answer(ctx, specs)
            answer = await answer_with_tools(ctx, llm, specs, messages, model=args.get("model"), meta=meta, private=private)
            reply = _tool_reply(ctx, answer)
            reply.ephemeral = private
            return reply
        async with contextlib.aclosing(llm.stream(messages, model=args.get("model"), meta=meta)) as events:
            async for event in events:
                if isinstance(event, Completion):
                    result = event
                else:
                    text += event
                    await ctx.progress(Reply.text(text, in_thread=True))  # the outbox throttles edits
    if result is None:
        raise UserError(t("llm_failed", ctx.locale, provider=llm.name, error="no answer"))
    ctx.usage.add(result.provider, result.model, result.tokens_in, result.tokens_out, result.cost)
    return Reply.text(result.text or text or t("empty_answer", ctx.locale), footer=footer(result), in_thread=True)


def _tool_reply(ctx: Context, answer: ToolAnswer) -> Reply:
    sections = [Section(answer.text or t("empty_answer", ctx.locale))]
    if answer.stopped_after is not None:
        sections.append(Section(t("ask_step_limit", ctx.locale, steps=answer.stopped_after)))
    sections += [Section(t("ask_write_pending", ctx.locale, tool=name)) for name in answer.pending]
    if ctx.usage.tools:
        sections.append(Section(tools_used_lines(ctx), title=t("ask_tools_used", ctx.locale)))
    return Reply(sections=sections, buttons=answer.buttons, footer=footer(answer.total), in_thread=True)


COMMAND = Command(
    name="ask",
    deadline=300.0,  # a streamed answer, with tool rounds, takes longer than the default
    uses_llm=True,
    help=t("help.ask"),
    handler=ask_command,
    args=(Arg("question", t("help.ask.question"), rest=True),),
    options=(Option("model", t("help.ask.model")),),
    long_help=t("help.ask.long"),
)
