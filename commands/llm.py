"""What every handler that calls the LLM shares: who pays for a call, which alias it asks for, and the
user's sentence for a pool refusal.

`Context.llm()` and `Context.llm_meta(priority)` (commands/context.py) are built on these; handlers call
those rather than reading `ctx.services.llm` themselves.
"""
from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING

from commands.errors import TryLater, UserError
from commands.messages import t
from commands.model import Conversation
from pool import BudgetExceeded, CircuitOpen, PoolBusy, PoolError, ProviderError, UnknownModel

if TYPE_CHECKING:
    from pool import LLMService


def budget_keys(requester: str, conversation: Conversation) -> dict[str, str | None]:
    """Who pays: the user, the channel (threads share it), and the repository for GitHub conversations.
    The bot sums the day's recorded spending with the same keys (bot/budget_sync.py)."""
    repo = conversation.channel if conversation.platform == "github" else None
    return {"user": requester, "channel": f"{conversation.platform}:{conversation.channel}", "repo": repo}


def alias_or_default(llm: LLMService, alias: str) -> str | None:
    """`alias` when the configuration defines it (the environment-only one always has review, fast and
    smart); otherwise None, the default alias: a TOML file without it still works."""
    return alias if alias in llm.models() else None


def pool_error_text(e: PoolError, locale: str) -> str | None:
    """The user's sentence for a pool refusal (busy, budget, open circuits, unknown model); None otherwise."""
    if isinstance(e, PoolBusy):
        if e.queue_size == 0:
            return t("llm_busy_no_queue", locale)
        return t("llm_busy", locale, position=e.position, size=e.queue_size)
    if isinstance(e, BudgetExceeded):
        return t("llm_budget", locale, budget=e.budget, spent=e.spent, limit=e.limit)
    if isinstance(e, CircuitOpen):
        return t("llm_circuit_open", locale, names=", ".join(e.deployments), seconds=e.retry_in)
    if isinstance(e, UnknownModel):
        return t("llm_unknown_model", locale, name=e.name, known=", ".join(e.known))
    return None


@contextlib.contextmanager
def pool_refusals(locale: str) -> Iterator[None]:
    """Turn a pool refusal into the user's error. A full queue or open circuits pass (`TryLater`: the
    worker runs unattended work again later); a budget or an unknown model do not (`UserError`: another
    attempt today would be refused the same way). Provider failures go on to the dispatcher, which names
    the provider."""
    try:
        yield
    except ProviderError:
        raise
    except PoolError as e:
        text = pool_error_text(e, locale)
        if text is None:
            raise
        error = TryLater if isinstance(e, (PoolBusy, CircuitOpen)) else UserError
        raise error(text) from None
