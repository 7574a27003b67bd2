"""Reply → Discord message payloads: content, one embed for fields/footer, attachments, buttons.

Sections become the message content (Discord renders Markdown). Content over 2 000 characters is split
into several messages, and over `ATTACH_OVER` characters attached as a Markdown file instead. Every
payload carries `allowed_mentions: {"parse": []}` so nothing written by a model pings anyone, and
`@everyone`/`@here` also get a zero-width joiner so they do not read as pings when quoted elsewhere.
A button's `custom_id` is `<action>:<value>`: a click is routed from the id alone, so buttons keep
working after a restart without registering views. Longer than Discord's 100 characters (an MCP confirm
with its arguments), it is `~<key>`, and the command line is stored under that key (`long_buttons`;
the outbound stores them before posting, the gateway looks them up on a click).
"""
from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass, field
from typing import Any

from bot.adapters.lines import split_text
from bot.adapters.messages import t
from commands.model import Reply

log = logging.getLogger("chatops.discord")

CONTENT_CHARS = 2000
ATTACH_OVER = 4 * CONTENT_CHARS
FIELD_NAME, FIELD_VALUE, MAX_FIELDS = 256, 1024, 25
FOOTER_CHARS = 2048
CUSTOM_ID_CHARS = 100
BUTTONS_PER_ROW, MAX_ROWS = 5, 5
NO_MENTIONS: dict[str, Any] = {"parse": []}
ERROR_COLOR, INFO_COLOR = 0xE01E5A, 0x5865F2
_STYLES = {"primary": 1, None: 2, "danger": 4}
_BROADCAST = re.compile(r"@(everyone|here)\b", re.IGNORECASE)
_ROLE = re.compile(r"<@&(\d+)>")


_MD_LINK = re.compile(r"\[([^\]\n]+)\]\((https?://[^)\s]+)\)")
_BARE_URL = re.compile(r"(?<![<\w])https?://[^\s<>()]+")


def neutralize(text: str) -> str:
    """No mass or role mention, no link preview (Discord fetches every URL it shows, which model-written
    text could aim at anything), and a link shows where it goes instead of a label that could lie."""
    text = _BROADCAST.sub(lambda m: "@\u200b" + m.group(1), text)
    text = _ROLE.sub(lambda m: f"<@\u200b&{m.group(1)}>", text)
    text = _MD_LINK.sub(lambda m: f"{m.group(1)} (<{m.group(2)}>)", text)
    return _BARE_URL.sub(lambda m: f"<{m.group(0)}>", text)


@dataclass(slots=True)
class Message:
    payload: dict[str, Any]
    files: list[tuple[str, bytes]] = field(default_factory=list)


STORED = "~"  # prefix of a custom_id whose command line is stored under the rest of it


def custom_id(action: str, value: str, *, store_long: bool = True) -> str | None:
    cid = f"{action}:{value}"
    if len(cid) <= CUSTOM_ID_CHARS:
        return cid
    return STORED + _key(action, value) if store_long else None


def _key(action: str, value: str) -> str:
    return hashlib.sha256(f"{action}:{value}".encode()).hexdigest()[:40]


def long_buttons(reply: Reply) -> dict[str, str]:
    """`{key: command line}` of the reply's buttons whose id is too long to carry the line itself."""
    return {_key(b.action, b.value): parse_custom_id(f"{b.action}:{b.value}")
            for b in reply.buttons if len(f"{b.action}:{b.value}") > CUSTOM_ID_CHARS}


def stored_key(cid: str) -> str | None:
    return cid[len(STORED):] if cid.startswith(STORED) else None


def parse_custom_id(cid: str) -> str:
    """`alerts:ack cpu_high` → `/alerts ack cpu_high`."""
    action, _, value = cid.partition(":")
    return f"/{action} {value}".strip()


def components(reply: Reply, *, store_long: bool = True) -> list[dict[str, Any]]:
    buttons = []
    for b in reply.buttons:
        cid = custom_id(b.action, b.value, store_long=store_long)
        if cid is None:
            log.warning("button %r dropped: action and value exceed Discord's 100-character custom_id", b.label)
            continue
        buttons.append({"type": 2, "style": _STYLES.get(b.style, 2), "label": b.label[:80], "custom_id": cid})
    rows = [buttons[i : i + BUTTONS_PER_ROW] for i in range(0, len(buttons), BUTTONS_PER_ROW)][:MAX_ROWS]
    return [{"type": 1, "components": row} for row in rows]


def _embed(reply: Reply) -> dict[str, Any] | None:
    if not reply.fields and not reply.footer:
        return None
    embed: dict[str, Any] = {"color": ERROR_COLOR if reply.error else INFO_COLOR}
    if reply.fields:
        embed["fields"] = [
            {
                "name": neutralize(k)[:FIELD_NAME] or "\u200b", "value": neutralize(v)[:FIELD_VALUE] or "\u200b",
                "inline": len(v) < 40,
            }
            for k, v in reply.fields[:MAX_FIELDS]
        ]
    if reply.footer:
        embed["footer"] = {"text": neutralize(reply.footer)[:FOOTER_CHARS]}
    return embed


def content(reply: Reply) -> str:
    parts = []
    for s in reply.sections:
        parts.append("\n".join(p for p in (f"**{s.title}**" if s.title else "", s.markdown) if p))
    text = neutralize("\n\n".join(p for p in parts if p))
    return f":warning: {text}" if reply.error and text else text


def messages(reply: Reply, locale: str | None = None, *, store_long: bool = True) -> list[Message]:
    """The first message holds the embed, the buttons and the images; it is the one edited in place."""
    text = content(reply)
    files = [(img.filename, img.png) for img in reply.images]
    if len(text) > ATTACH_OVER:
        files.insert(0, ("reply.md", text.encode("utf-8")))
        chunks = [t("attached", locale, name="reply.md")]
    else:
        chunks = split_text(text, CONTENT_CHARS) if text else [""]
    first: dict[str, Any] = {"content": chunks[0], "allowed_mentions": NO_MENTIONS}
    embed = _embed(reply)
    first["embeds"] = [embed] if embed else []
    first["components"] = components(reply, store_long=store_long)
    if files:
        first["attachments"] = [{"id": i, "filename": name} for i, (name, _) in enumerate(files)]
    elif not first["content"] and not first["embeds"]:
        first["content"] = "\u200b"  # Discord refuses a message with nothing in it
    out = [Message(first, files)]
    out += [Message({"content": c, "allowed_mentions": NO_MENTIONS}) for c in chunks[1:]]
    return out
