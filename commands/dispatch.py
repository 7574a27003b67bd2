"""The one catch-all around every handler: errors reach the chat once, here, as a Reply.

A `UserError` is shown as written; a provider failure names the provider; anything else is logged
with a short id and the user gets that id. A transient failure (`TryLater`, a provider timeout, an open
breaker) of an unattended trigger is marked `retry`: the worker runs it again later while attempts remain.
"""
from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass

from commands.context import Context
from commands.errors import Refused, TryLater, UnknownCommand, UsageError, UserError
from commands.messages import t
from commands.model import Reply
from commands.registry import Args, Command
from pool import CircuitOpen, PoolBusy, ProviderError, ProviderTimeout, ProviderUnavailable, RateLimited

log = logging.getLogger("chatops.commands")


@dataclass(frozen=True, slots=True)
class Outcome:
    reply: Reply
    error: str | None = None  # None: the execution succeeded
    retry: bool = False  # transient, and nobody waits for the answer: run again later if attempts remain
    refused: str | None = None  # the action the policy refused inside the handler (to count and audit)


# Triggers nobody watches: a transient failure is worth another attempt before it is reported.
UNATTENDED = frozenset({"github", "schedule"})
_TRANSIENT_POOL = (ProviderTimeout, ProviderUnavailable, RateLimited, CircuitOpen, PoolBusy)


async def run_handler(cmd: Command, ctx: Context, args: Args) -> Outcome:
    try:
        reply = await cmd.handler(ctx, args)
    except UsageError as e:
        return Outcome(usage_reply(e, ctx.locale), str(e))
    except Refused as e:  # like the gate's refusals: only the asker sees it
        return Outcome(Reply.failure(str(e), ephemeral=True), str(e), refused=e.action)
    except UserError as e:
        return Outcome(Reply.failure(str(e)), str(e), retry=isinstance(e, TryLater) and ctx.trigger in UNATTENDED)
    except ProviderError as e:
        text = t("llm_failed", ctx.locale, provider=e.provider, error=e.message)
        return Outcome(Reply.failure(text), f"{type(e).__name__}: {e.provider}: {e.message}",
                       retry=isinstance(e, _TRANSIENT_POOL) and ctx.trigger in UNATTENDED)
    except Exception as e:
        if isinstance(e, _TRANSIENT_POOL) and ctx.trigger in UNATTENDED:  # breaker open, queue full
            return Outcome(Reply.failure(str(e)), f"{type(e).__name__}: {e}", retry=True)
        ref = secrets.token_hex(4)
        log.exception("handler /%s failed (execution %s, error id %s)", cmd.name, ctx.execution_id, ref)
        return Outcome(
            Reply.failure(t("internal_error", ctx.locale, name=cmd.name, ref=ref)),
            f"{type(e).__name__}: {e} (error id {ref})",
        )
    return Outcome(reply, "reply marked as error" if reply.error else None)


def usage_reply(e: UsageError, locale: str) -> Reply:
    problem = t(e.key, locale, **e.fields) if e.key else e.args[0]
    return Reply.failure(f"{problem}\n{t('usage', locale, usage=e.usage)}", ephemeral=True)


def unknown_reply(e: UnknownCommand, locale: str) -> Reply:
    if not e.name:
        return Reply.failure(t("empty_command", locale), ephemeral=True)
    lines = [t("unknown_command", locale, name=e.name)]
    if e.suggestions:
        lines.append(t("did_you_mean", locale, names=", ".join(f"`/{s}`" for s in e.suggestions)))
    lines.append(t("see_help", locale))
    return Reply.failure("\n".join(lines), ephemeral=True)
