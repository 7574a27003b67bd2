"""/ask: a question answered by the configured LLM."""
from __future__ import annotations

from commands.context import Context
from commands.errors import UserError
from commands.messages import t
from commands.model import Reply
from commands.registry import Arg, Args, Command
from pool.client import Message

SYSTEM_PROMPT = (
    "You are a helpful assistant inside a team's chat. Answer concisely in the language of the question. "
    "Use Markdown sparingly."
)


async def ask_command(ctx: Context, args: Args) -> Reply:
    llm = ctx.services.llm
    if llm is None:
        raise UserError(t("llm_not_configured", ctx.locale, hint=ctx.services.llm_hint))
    result = await llm.complete([Message("system", SYSTEM_PROMPT), Message("user", args["question"])])
    ctx.usage.add(result.provider, result.model, result.tokens_in, result.tokens_out, result.cost)
    approx = "~" if result.estimated_usage else ""
    footer = f"{result.model} · {approx}{result.tokens_in}+{result.tokens_out} tokens · {result.latency_ms:.0f} ms"
    return Reply.text(result.text or "(empty answer)", footer=footer, in_thread=True)


COMMAND = Command(
    name="ask",
    help="Ask the LLM a question.",
    handler=ask_command,
    args=(Arg("question", "what to ask, in any language", rest=True),),
)
