"""Where a Discord answer goes, encoded in the platform-neutral `Conversation`.

`Conversation("discord", channel_id, thread)` where `thread` is one of:
- `i:<application id>:<interaction id>:<token>`: a slash command that was deferred ("thinking…"); the
  answer replaces that deferred response while the token is fresh (15 minutes), else it is posted in
  the channel;
- `c:<application id>:<interaction id>:<token>`: a button click; the answer is a follow-up message;
- `m:<message id>[:<user id>]`: a mention; the answer replies to that message, and an answer only for
  the asker (a refusal, a data tool's rows) goes to the author's DMs instead;
- nothing: a plain channel message (alerts, reports).
The token lets the worker, possibly in another process, finish the interaction; it expires after 15
minutes, and an expired one is ignored. `Conversation.__str__` would show it, so code here never logs
a conversation, only `safe_str`.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

from commands.model import Conversation

PLATFORM = "discord"
DISCORD_EPOCH_MS = 1420070400000
TOKEN_LIFETIME = 15 * 60
TOKEN_MARGIN = 60  # leave a minute for a slow upload


def snowflake_time(snowflake: int) -> float:
    return ((snowflake >> 22) + DISCORD_EPOCH_MS) / 1000


@dataclass(frozen=True, slots=True)
class DiscordTarget:
    channel: str
    kind: str | None = None  # "i" command, "c" component, "m" mention, None channel
    application_id: str | None = None
    interaction_id: str | None = None
    token: str | None = None
    message_id: str | None = None
    user: str | None = None  # a mention's author: whom a private answer goes to

    def conversation(self) -> Conversation:
        if self.kind in ("i", "c"):
            thread = f"{self.kind}:{self.application_id}:{self.interaction_id}:{self.token}"
        elif self.kind == "m":
            thread = f"m:{self.message_id}" + (f":{self.user}" if self.user else "")
        else:
            thread = None
        return Conversation(PLATFORM, self.channel, thread)

    @classmethod
    def of(cls, conversation: Conversation) -> DiscordTarget:
        thread = conversation.thread or ""
        kind, _, rest = thread.partition(":")
        if kind in ("i", "c"):
            app, _, rest = rest.partition(":")
            iid, _, token = rest.partition(":")
            return cls(conversation.channel, kind, app, iid, token)
        if kind == "m":
            message_id, _, user = rest.partition(":")  # rows stored before the author was kept have none
            return cls(conversation.channel, "m", message_id=message_id, user=user or None)
        return cls(conversation.channel)

    def webhook_usable(self, now: float | None = None) -> bool:
        """The interaction token works for 15 minutes after the interaction was created."""
        if self.kind not in ("i", "c") or not self.token or not (self.interaction_id or "").isdigit():
            return False
        age = (now or time.time()) - snowflake_time(int(self.interaction_id or 0))
        return age < TOKEN_LIFETIME - TOKEN_MARGIN


def safe_str(conversation: Conversation) -> str:
    """The conversation for logs: the interaction token left out."""
    target = DiscordTarget.of(conversation)
    return f"discord:{target.channel}" + (f"/{target.kind}:{target.interaction_id or target.message_id}" if target.kind else "")
