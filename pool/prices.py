"""USD per million tokens (input, output). A deployment's own `price_in`/`price_out` wins over this table.

The table is a default for well-known models, matched on the longest prefix of the model name; a model
with no price anywhere is charged at the reservation estimate (`UNPRICED`), never at zero.
"""
from __future__ import annotations

Price = tuple[float, float]

KNOWN: dict[str, Price] = {
    "gpt-4o-mini": (0.15, 0.60),
    "gpt-4o": (2.50, 10.00),
    "gpt-4.1-mini": (0.40, 1.60),
    "gpt-4.1-nano": (0.10, 0.40),
    "gpt-4.1": (2.00, 8.00),
    "o3-mini": (1.10, 4.40),
    "o4-mini": (1.10, 4.40),
    "claude-3-5-haiku": (0.80, 4.00),
    "claude-3-5-sonnet": (3.00, 15.00),
    "claude-3-7-sonnet": (3.00, 15.00),
    "claude-sonnet-4": (3.00, 15.00),
    "claude-opus-4": (15.00, 75.00),
    "gemini-2.0-flash": (0.10, 0.40),
    "gemini-1.5-flash": (0.075, 0.30),
    "gemini-1.5-pro": (1.25, 5.00),
    "gemini-2.5-pro": (1.25, 10.00),
    "gemini-2.5-flash": (0.30, 2.50),
}

# What an unpriced model is reserved and charged at: deliberately dear, so a budget still binds.
UNPRICED: Price = (15.00, 75.00)


def lookup(model: str) -> Price | None:
    best: str | None = None
    for prefix in KNOWN:
        if model.startswith(prefix) and (best is None or len(prefix) > len(best)):
            best = prefix
    return KNOWN[best] if best is not None else None


def cost(price: Price, tokens_in: int, tokens_out: int) -> float:
    return (tokens_in * price[0] + tokens_out * price[1]) / 1_000_000
