"""Reply → Block Kit messages, within Slack's limits, with model-written text neutralized.

Text is escaped (`&`, `<`, `>`) before Markdown is converted to mrkdwn, so `<!channel>`, `<!here>`,
`<!everyone>` and `<!subteam^…>` written by a model show as text and notify nobody; plain `@here` and
`@channel` get a zero-width joiner for the same reason. Limits (docs.slack.dev/reference/block-kit):
3 000 characters per section text, 10 fields per section, 25 elements per actions block, 50 blocks per
message. A reply over one message becomes several (the first is the one edited in place).
"""
from __future__ import annotations

import re
from typing import Any

from bot.adapters.lines import split_text
from commands.model import Button, Reply

SECTION_CHARS = 3000
FIELD_CHARS = 2000
HEADER_CHARS = 150
MAX_BLOCKS = 50
MAX_FIELDS = 10
MAX_BUTTONS = 25
FALLBACK_CHARS = 3000  # the `text` shown in notifications

_BROADCAST = re.compile(r"@(channel|here|everyone)\b", re.IGNORECASE)
_BOLD = re.compile(r"\*\*(.+?)\*\*")
_LINK = re.compile(r"\[([^\]\n]+)\]\((https?://[^)\s]+)\)")
_HEADING = re.compile(r"^#{1,6}\s+(.+)$", re.MULTILINE)
_STRIKE = re.compile(r"~~(.+?)~~")


def neutralize(text: str) -> str:
    """Escape Slack's control characters so no special mention (`<!here>`, `<!subteam^…>`) survives."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _BROADCAST.sub(lambda m: "@\u2060" + m.group(1), text)


def mrkdwn(markdown: str) -> str:
    """Common Markdown → Slack mrkdwn (bold, links, headings, strikethrough), after neutralizing."""
    text = neutralize(markdown)
    text = _HEADING.sub(r"**\1**", text)
    text = _BOLD.sub(r"*\1*", text)
    text = _STRIKE.sub(r"~\1~", text)
    # a link shows where it goes: model-written text could otherwise label https://evil.example "the docs"
    return _LINK.sub(lambda m: f"{m.group(1)} (<{m.group(2)}>)", text)


def _plain(text: str, limit: int) -> dict[str, Any]:
    return {"type": "plain_text", "text": (text[: limit - 1] + "…") if len(text) > limit else text, "emoji": True}


def button_element(b: Button, index: int) -> dict[str, Any]:
    """`action_id` carries the action (made unique by `#index`), `value` the value: a click becomes `/action value`."""
    el: dict[str, Any] = {
        "type": "button",
        "text": _plain(b.label, 75),
        "action_id": f"{b.action}#{index}",
        "value": b.value[:2000],
    }
    if b.style in ("primary", "danger"):
        el["style"] = b.style
    return el


def blocks(reply: Reply) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for i, s in enumerate(reply.sections):
        title = s.title
        if title and len(title) <= HEADER_CHARS:
            out.append({"type": "header", "text": _plain(title, HEADER_CHARS)})
            title = None
        text = mrkdwn(s.markdown)
        if title:
            text = f"*{neutralize(title)}*\n{text}"
        if reply.error and i == 0:
            text = f":warning: {text}"
        for piece in split_text(text, SECTION_CHARS):
            if piece.strip():
                out.append({"type": "section", "text": {"type": "mrkdwn", "text": piece}})
    fields = [
        {"type": "mrkdwn", "text": f"*{neutralize(k)}*\n{mrkdwn(v)}"[:FIELD_CHARS]} for k, v in reply.fields
    ]
    for start in range(0, len(fields), MAX_FIELDS):
        out.append({"type": "section", "fields": fields[start : start + MAX_FIELDS]})
    if reply.footer:
        out.append({"type": "context", "elements": [{"type": "mrkdwn", "text": mrkdwn(reply.footer)[:SECTION_CHARS]}]})
    elements = [button_element(b, i) for i, b in enumerate(reply.buttons)]
    for start in range(0, len(elements), MAX_BUTTONS):
        out.append({"type": "actions", "elements": elements[start : start + MAX_BUTTONS]})
    return out


def messages(reply: Reply) -> list[dict[str, Any]]:
    """One or more `{text, blocks}` payloads; `text` is the notification fallback, neutralized too."""
    all_blocks = blocks(reply) or [{"type": "section", "text": {"type": "mrkdwn", "text": " "}}]
    fallback = neutralize(reply.plain_text())[:FALLBACK_CHARS] or " "
    chunks = [all_blocks[i : i + MAX_BLOCKS] for i in range(0, len(all_blocks), MAX_BLOCKS)]
    return [{"text": fallback if i == 0 else "…", "blocks": chunk} for i, chunk in enumerate(chunks)]
