"""Replies into GitHub issue and PR threads, as issue comments.

`Conversation("github", "owner/repo", "<number>")`. A reply with an `upsert_key` ("review", "triage",
"reply:<comment id>") is upserted: it is rendered with the hidden marker `<!-- chatops:<key> -->`, and the
bot's own comment with that marker is edited instead of a new one posted, so a retried execution or a
new push never leaves two copies. Only comments written by the bot's own login count. The marker is
this adapter's detail: handlers set the key, never HTML.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import AsyncIterator, Callable

from commands.github.locks import KeyedLocks
from commands.model import Conversation, Reply
from providers import GitHubClient

log = logging.getLogger("chatops.github")
_MARKER = re.compile(r"<!-- chatops:[\w:.-]+ -->")
_NOT_IN_KEY = re.compile(r"[^\w:.-]")
MAX_COMMENT = 65000  # GitHub refuses comment bodies over 65,536 characters


def marker(upsert_key: str) -> str:
    """The hidden marker of one upsert key; what `_MARKER` (and the inbound's bot-comment check) find."""
    return f"<!-- chatops:{_NOT_IN_KEY.sub('-', upsert_key)} -->"


def render_markdown(reply: Reply) -> str:
    parts: list[str] = []
    for s in reply.sections:
        parts.append(f"### {s.title}\n{s.markdown}" if s.title else s.markdown)
    if reply.fields:
        rows = "\n".join(f"| {k} | {v} |" for k, v in reply.fields)
        parts.append(f"| | |\n|---|---|\n{rows}")
    for img in reply.images:
        parts.append(f"_(image not attached: {img.alt})_")
    if reply.footer:
        parts.append(f"<sub>{reply.footer}</sub>" if "<!--" not in reply.footer else reply.footer)
    body = "\n\n".join(p for p in parts if p)
    hidden = _hidden_marker(reply, body)
    if len(body) > MAX_COMMENT:
        body = body[: MAX_COMMENT - 200] + "\n\n_(truncated: the comment limit of GitHub was reached)_"
    if hidden is not None and hidden not in body:
        body += "\n\n" + hidden
    return body


def _hidden_marker(reply: Reply, body: str) -> str | None:
    if reply.upsert_key:
        return marker(reply.upsert_key)
    # a reply stored before `upsert_key` existed carries the marker in its text (its footer)
    legacy = _MARKER.search(body)
    return legacy.group(0) if legacy else None


SharedLock = Callable[[str], contextlib.AbstractAsyncContextManager[None]]


@contextlib.asynccontextmanager
async def _no_shared_lock(_key: str) -> AsyncIterator[None]:
    yield


class GitHubOutbound:
    platform = "github"
    min_edit_interval = 2.0

    def __init__(self, client: GitHubClient, *, shared_lock: SharedLock | None = None) -> None:
        self.client = client
        # the same find-then-create in another worker process (PostgreSQL advisory lock)
        self._shared_lock = shared_lock or _no_shared_lock
        self._login: str | None = None
        self._lock = asyncio.Lock()
        self._threads = KeyedLocks()  # find-then-create of one marker must not race itself

    def ready(self) -> bool:
        return True

    async def login(self) -> str:
        """The login comments are posted as: `<app slug>[bot]` for an App, the token's user otherwise."""
        async with self._lock:
            if self._login is None:
                if self.client.is_app:
                    slug = (await self.client.root_request("GET", "/app")).json()["slug"]
                    self._login = f"{slug}[bot]"
                else:
                    self._login = (await self.client.root_request("GET", "/user")).json()["login"]
            return self._login

    @staticmethod
    def _where(conversation: Conversation) -> tuple[str, str, int]:
        owner, _, repo = conversation.channel.partition("/")
        thread = conversation.thread or ""
        if not repo or not thread.isdigit():
            raise ValueError(f"not a GitHub thread: {conversation} (expected github:owner/repo/<number>)")
        return owner, repo, int(thread)

    async def post(self, conversation: Conversation, reply: Reply, *, final: bool = True) -> str | None:
        owner, repo, number = self._where(conversation)
        if reply.error:
            # a failed automatic review/triage is not news for the PR's readers: it stays on the
            # Execution row (error, logs) and in /status; nothing is posted into the thread
            log.warning("not posting a failure into %s: %s", conversation, reply.plain_text()[:300])
            return None
        body = render_markdown(reply)
        hidden = _hidden_marker(reply, body)
        if hidden is not None:
            key = f"github-thread:{conversation}{hidden}"  # the same lock ids as before the key existed
            async with self._threads.hold(key), self._shared_lock(key):
                existing = await self._find(owner, repo, number, hidden)
                if existing is not None:
                    await self._edit(owner, repo, existing, body)
                    return str(existing)
                return await self._create(owner, repo, number, body)
        return await self._create(owner, repo, number, body)

    async def _create(self, owner: str, repo: str, number: int, body: str) -> str:
        resp = await self.client.request(
            owner, repo, "POST", f"/repos/{owner}/{repo}/issues/{number}/comments", json={"body": body}
        )
        return str(resp.json()["id"])

    async def update(self, conversation: Conversation, ref: str, reply: Reply, *, final: bool = True) -> None:
        owner, repo, _ = self._where(conversation)
        await self._edit(owner, repo, int(ref), render_markdown(reply))

    async def _edit(self, owner: str, repo: str, comment_id: int, body: str) -> None:
        await self.client.request(
            owner, repo, "PATCH", f"/repos/{owner}/{repo}/issues/comments/{comment_id}", json={"body": body}
        )

    async def _find(self, owner: str, repo: str, number: int, hidden: str) -> int | None:
        me = (await self.login()).lower()
        path = f"/repos/{owner}/{repo}/issues/{number}/comments"
        for page in range(1, 31):  # 3,000 comments: beyond that a thread is not a conversation any more
            resp = await self.client.request(owner, repo, "GET", path, params={"per_page": 100, "page": page})
            comments = resp.json()
            for c in comments:
                if hidden in (c.get("body") or "") and str((c.get("user") or {}).get("login", "")).lower() == me:
                    return int(c["id"])
            if len(comments) < 100:
                return None
        return None
