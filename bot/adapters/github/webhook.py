"""`POST /github/webhook`: verify, parse, dedupe, store, then acknowledge; the worker does the rest.

Order of checks: size (413) → signature over the raw body (401, nothing stored, reason logged without
the secret) → JSON (400) → ping (200) → allowed repositories (202 ignored) → translation (202 ignored
for events that need nothing) → group commit of the delivery row and its executions (202), or 200 for
a delivery id already stored. Stored means committed: the answer is sent only after the commit.
"""
from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import msgspec

from bot import metrics
from bot.adapters.asgi import Disconnected, Receive, Scope, Send, TooLarge, headers_of, read_limited, send_json
from bot.adapters.github.envelope import DecodeError, decode
from bot.adapters.github.inbound import Ignored, InboundConfig, translate
from bot.intake import Intake, Request
from bot.storage.github import DUPLICATE, IncomingDelivery
from commands.access import identity
from commands.model import Event

log = logging.getLogger("chatops.github.webhook")


def signature_ok(secret: bytes, body: bytes, header: str | None) -> bool:
    if not header or not header.startswith("sha256="):
        return False
    expected = "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, header)


_COUNTERS: dict[tuple[str, str], Any] = {}
_encode = msgspec.json.Encoder().encode
_WANTED = (b"x-github-event", b"x-github-delivery", b"x-hub-signature-256", b"content-length")


def _answer(event: str, outcome: str, status: int, **body: Any) -> tuple[int, bytes]:
    counter = _COUNTERS.get((event, outcome))
    if counter is None:  # label lookups cost more than the increment: keep the children
        counter = _COUNTERS[(event, outcome)] = metrics.GITHUB_WEBHOOKS.labels(event, outcome)
    counter.inc()
    return status, _encode({"outcome": outcome, **body})


class WebhookReceiver:
    """The ASGI app at `POST /github/webhook`.

    A plain ASGI callable rather than a Starlette endpoint: this is the busiest request the bot serves,
    and the Request/Response wrappers cost as much as verifying and storing (`chatops bench github`).
    """

    def __init__(
        self,
        secret: str | None,
        intake: Intake,
        config: Callable[[str], Awaitable[InboundConfig]],
        *,
        allowed_repos: str | None = None,
        max_bytes: int = 25 * 1024 * 1024,
        keep_bodies: bool = False,
    ) -> None:
        self._secret = secret.encode() if secret else None
        self._intake, self._config = intake, config
        self._allowed = {r.strip().lower() for r in (allowed_repos or "").split(",") if r.strip()}
        self.max_bytes, self.keep_bodies = max_bytes, keep_bodies

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        status, body = await self.handle(headers_of(scope, _WANTED), receive)
        await send_json(send, status, body)

    async def handle(self, headers: dict[bytes, bytes], receive: Receive) -> tuple[int, bytes]:
        event = headers.get(b"x-github-event", b"").decode("latin-1")
        delivery = headers.get(b"x-github-delivery", b"").decode("latin-1")
        label = event if event.isidentifier() and len(event) < 40 else "invalid"
        if self._secret is None:
            log.error("webhook delivery %s refused: GITHUB_WEBHOOK_SECRET is not set", delivery)
            return _answer(label, "not_configured", 503, error="GITHUB_WEBHOOK_SECRET is not set")
        try:
            body = await read_limited(receive, headers.get(b"content-length"), self.max_bytes)
        except TooLarge:
            log.warning("webhook delivery %s refused: body larger than %d bytes", delivery, self.max_bytes)
            return _answer(label, "too_large", 413, error=f"body larger than {self.max_bytes} bytes")
        except Disconnected:
            return 400, b""
        raw_signature = headers.get(b"x-hub-signature-256")
        signature = raw_signature.decode("latin-1") if raw_signature is not None else None
        if not signature_ok(self._secret, body, signature):
            reason = "missing X-Hub-Signature-256" if not signature else "X-Hub-Signature-256 does not match the body"
            log.warning("webhook delivery %s (%s) refused: %s", delivery, event, reason)
            return _answer(label, "bad_signature", 401, error=reason)
        if not event or not delivery:
            return _answer(label, "malformed", 400, error="missing X-GitHub-Event or X-GitHub-Delivery header")
        try:
            payload = decode(body)
        except DecodeError as e:
            return _answer(label, "malformed", 400, error=f"body is not a webhook JSON object: {e}")
        if event == "ping":
            return _answer(label, "ping", 200, zen=payload.get("zen"))
        repo = str((payload.get("repository") or {}).get("full_name") or "")
        if self._allowed and repo.lower() not in self._allowed:
            return _answer(label, "not_allowed", 202, ignored=f"repository {repo or '(none)'} is not in GITHUB_ALLOWED_REPOS")
        result = translate(event, payload, await self._config(event))
        if isinstance(result, Ignored):
            return _answer(label, "ignored", 202, ignored=result.reason)
        # GitHub shows a deleted account as "ghost"; a payload without a sender gets the same identity
        sender = identity.github(str((payload.get("sender") or {}).get("login") or "ghost"))
        action = payload.get("action") if isinstance(payload.get("action"), str) else None
        raw = {"github_delivery": delivery, "event": event, "action": action}
        requests = [
            Request(
                Event(source="github", user=sender, conversation=job.conversation, text=job.text, command=job.kind,
                      trigger="github", raw=raw),
                idempotency_key=f"gh:{delivery}:{i}", args=job.args,
            )
            for i, job in enumerate(result)
        ]
        kept = body.decode("utf-8", "replace") if self.keep_bodies else ""
        incoming = IncomingDelivery(delivery, event, action, repo or None, kept)
        try:
            outcome, refused = await self._intake.submit_delivery(incoming, requests)
        except Exception:
            log.exception("webhook delivery %s could not be stored", delivery)
            return _answer(label, "store_failed", 503, error="could not store the delivery; redeliver it")
        for r in refused:
            if r.refused is not None:  # the policy said no to this sender (audited and counted by the gate)
                log.info("webhook delivery %s: a job was not allowed (%s)", delivery, r.refused)
            else:  # a job the command table does not take: a defect of the translation, made loud
                log.error("webhook delivery %s: a job was refused at intake: %s", delivery, r.reply.plain_text()[:300])
        if outcome == DUPLICATE:
            return _answer(label, "duplicate", 200, duplicate=delivery)
        return _answer(label, "stored", 202, executions=len(requests) - len(refused))
