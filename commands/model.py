"""The internal model every adapter translates to and from: one `Event` in, one `Reply` out.

No platform type appears here. Adapters in `bot/` build Events from payloads and render Replies into
Block Kit, Discord embeds, GitHub markdown or terminal text.
"""
from __future__ import annotations

import base64
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Conversation:
    """Where a message came from and where the answer goes.

    `platform` picks the outbound adapter ("console", "slack", "discord", "github"); `channel` is the
    platform's channel, DM or repository id; `thread` a thread/PR/issue inside it. `locale` is the
    language of the people in it ("en", "ja"): set by the platform when it says, else by the intake, and
    read by everything that writes into the conversation later (replies, delivery notes). It is not part
    of the conversation's identity.
    """

    platform: str
    channel: str = ""
    thread: str | None = None
    locale: str | None = field(default=None, compare=False)

    def as_dict(self) -> dict[str, Any]:
        # on every inbound request: dataclasses.asdict deep-copies and is ~10x slower than this
        data = {"platform": self.platform, "channel": self.channel, "thread": self.thread}
        if self.locale is not None:
            data["locale"] = self.locale
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Conversation:
        return cls(platform=data["platform"], channel=data.get("channel", ""), thread=data.get("thread"),
                   locale=data.get("locale"))

    def __str__(self) -> str:
        tail = f"/{self.thread}" if self.thread else ""
        return f"{self.platform}:{self.channel}{tail}"


@dataclass(frozen=True, slots=True)
class Event:
    """One inbound request: who asked, where, and what.

    `text` is the command line without the platform's decoration ("ask what changed?"), `command` the
    command name when the platform already split it (Slack and Discord do). `user` is the asker's
    identity (`slack:T1/U1`, see commands/access/identity.py); `groups` the group selectors the payload
    itself names (a Discord member's roles: `discord-role:<guild>/<role>`), which the gate adds to what the
    platform's member lookup finds. `raw` is the platform payload kept for audit; it is never parsed past
    the adapter.
    """

    source: str
    user: str
    conversation: Conversation
    text: str
    command: str | None = None
    user_name: str | None = None
    locale: str | None = None
    trigger: str = "chat"
    raw: dict[str, Any] | None = None
    groups: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Image:
    png: bytes
    alt: str
    filename: str = "image.png"


@dataclass(frozen=True, slots=True)
class Button:
    """A clickable action. A click comes back as an Event whose text is `/{action} {value}`, so it is
    routed to the command that made the button (e.g. action="alerts", value="ack cpu_high")."""

    label: str
    action: str
    value: str = ""
    style: str | None = None  # "primary" | "danger" | None


@dataclass(frozen=True, slots=True)
class Section:
    markdown: str
    title: str | None = None


@dataclass(slots=True)
class Reply:
    """What a handler returns; rendered by the adapter that owns the conversation.

    `error` marks a reply that reports a failure (console `say` exits non-zero on it; chat adapters
    may send it ephemeral). Fields are short key/value pairs shown as a table. `upsert_key` means "one
    message per key in this conversation": an adapter that can find its earlier message by key edits it
    instead of posting again (GitHub renders it as a hidden marker); the others post as usual.
    """

    sections: list[Section] = field(default_factory=list)
    fields: list[tuple[str, str]] = field(default_factory=list)
    images: list[Image] = field(default_factory=list)
    buttons: list[Button] = field(default_factory=list)
    in_thread: bool = False
    ephemeral: bool = False
    error: bool = False
    footer: str | None = None
    upsert_key: str | None = None  # letters, digits and `_:.-`, e.g. "review", "reply:492700400"

    @classmethod
    def text(cls, markdown: str, **kwargs: Any) -> Reply:
        return cls(sections=[Section(markdown)], **kwargs)

    @classmethod
    def failure(cls, markdown: str, **kwargs: Any) -> Reply:
        return cls(sections=[Section(markdown)], error=True, **kwargs)

    def plain_text(self) -> str:
        """The reply as one markdown string (sections, fields, footer); images and buttons omitted."""
        parts: list[str] = []
        for s in self.sections:
            title = f"*{s.title}*" if s.title else ""
            parts.append("\n".join(p for p in (title, s.markdown) if p))
        if self.fields:
            width = max(len(k) for k, _ in self.fields)
            parts.append("\n".join(f"{k.ljust(width)}  {v}" for k, v in self.fields))
        if self.footer:
            parts.append(self.footer)
        return "\n\n".join(p for p in parts if p)

    def to_json(self) -> dict[str, Any]:
        """A JSON-safe form, stored on the Execution so a retried delivery needs no re-run."""
        return {
            "sections": [{"markdown": s.markdown, "title": s.title} for s in self.sections],
            "fields": [list(f) for f in self.fields],
            "images": [
                {"png": base64.b64encode(i.png).decode("ascii"), "alt": i.alt, "filename": i.filename}
                for i in self.images
            ],
            "buttons": [asdict(b) for b in self.buttons],
            "in_thread": self.in_thread,
            "ephemeral": self.ephemeral,
            "error": self.error,
            "footer": self.footer,
            "upsert_key": self.upsert_key,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Reply:
        return cls(
            sections=[Section(s["markdown"], s.get("title")) for s in data.get("sections", [])],
            fields=[(k, v) for k, v in data.get("fields", [])],
            images=[
                Image(base64.b64decode(i["png"]), i.get("alt", ""), i.get("filename", "image.png"))
                for i in data.get("images", [])
            ],
            buttons=[Button(**b) for b in data.get("buttons", [])],
            in_thread=data.get("in_thread", False),
            ephemeral=data.get("ephemeral", False),
            error=data.get("error", False),
            footer=data.get("footer"),
            upsert_key=data.get("upsert_key"),
        )
