"""Where a Slack answer goes, encoded in the platform-neutral `Conversation`.

`Conversation("slack", channel, thread)` with `thread = "[thread_ts][@user]"`: the thread to answer in
(if any) and the user who asked (if known), because an ephemeral reply (`chat.postEphemeral`) needs a
user. `slack:C0123/1700000000.000200` from the routing settings is a plain thread; `@U0456` alone is a
slash command asked outside a thread.
"""
from __future__ import annotations

from dataclasses import dataclass

from commands.model import Conversation

PLATFORM = "slack"


@dataclass(frozen=True, slots=True)
class SlackTarget:
    channel: str
    thread_ts: str | None = None
    user: str | None = None

    def conversation(self) -> Conversation:
        thread = (self.thread_ts or "") + (f"@{self.user}" if self.user else "")
        return Conversation(PLATFORM, self.channel, thread or None)

    @classmethod
    def of(cls, conversation: Conversation) -> SlackTarget:
        ts, _, user = (conversation.thread or "").partition("@")
        return cls(conversation.channel, ts or None, user or None)
