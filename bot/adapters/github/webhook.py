"""`POST /github/webhook`: verify, parse, dedupe, store, then acknowledge; the worker does the rest.

Order of checks: size (413) → signature over the raw body (401, nothing stored, reason logged without
the secret) → JSON (400, also for a document nested too deeply to decode) → ping (200) → allowed
repositories (202 ignored) → translation (202 ignored for events that need nothing) → group commit of
the delivery row and its executions (202), or 200 for a delivery already stored. Stored means
committed: the answer is sent only after the commit.

Dedupe: `X-GitHub-Delivery` is not covered by the signature, so anyone holding one signed body could
replay it under fresh delivery ids. The delivery row is therefore keyed on the SHA-256 of the signed
body (GitHub redelivers the same body under the same id, so its own redeliveries still dedupe); the
id GitHub sent is kept in each execution's `raw` as `github_guid`. A replay is answered like a
redelivery: 200 `{"outcome": "duplicate"}`, nothing stored, nothing run.

Header values only reach the logs shortened and the metrics through a fixed list (`metrics.bounded`).
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
from bot.adapters.github.inbound import HANDLERS, Ignored, InboundConfig, translate
from bot.intake import Intake, Request
from bot.storage.github import DUPLICATE, IncomingDelivery
from commands.access import identity
from commands.model import Event

log = logging.getLogger("chatops.github.webhook")


def signature_ok(secret: bytes, body: bytes, header: bytes | str | None) -> bool:
    """`X-Hub-Signature-256` against the body, compared as bytes: any header value (non-ASCII too) is
    just a mismatch, never an error."""
    if isinstance(header, str):
        header = header.encode("utf-8", "surrogateescape")
    if not header or not header.startswith(b"sha256="):
        return False
    expected = b"sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest().encode()
    return hmac.compare_digest(expected, header)


_EVENTS = metrics.GITHUB_EVENTS | frozenset(HANDLERS)


def _shown(value: str) -> str:
    """A header value for a log line: short, printable (a delivery id is a 36-character GUID)."""
    return value if len(value) <= 64 and value.isprintable() else repr(value[:64]) + f"… ({len(value)} chars)"


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
        guid = headers.get(b"x-github-delivery", b"").decode("latin-1")
        label = metrics.bounded(event, _EVENTS)
        delivery, shown = _shown(guid), _shown(event)
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
        signature = headers.get(b"x-hub-signature-256")
        if not signature_ok(self._secret, body, signature):
            reason = "missing X-Hub-Signature-256" if not signature else "X-Hub-Signature-256 does not match the body"
            log.warning("webhook delivery %s (%s) refused: %s", delivery, shown, reason)
            return _answer(label, "bad_signature", 401, error=reason)
        if not event or not guid:
            return _answer(label, "malformed", 400, error="missing X-GitHub-Event or X-GitHub-Delivery header")
        try:
            payload = decode(body)
        except DecodeError as e:
            return _answer(label, "malformed", 400, error=f"body is not a webhook JSON object: {e}")
        except RecursionError:  # a signed body of 100 000 nested arrays: refused, not a 500
            log.warning("webhook delivery %s (%s) refused: JSON nested too deeply", delivery, shown)
            return _answer(label, "malformed", 400, error="body is not a webhook JSON object: nested too deeply")
        if event == "ping":
            return _answer(label, "ping", 200, zen=payload.get("zen"))
        repo = str((payload.get("repository") or {}).get("full_name") or "")
        if self._allowed and repo.lower() not in self._allowed:
            return _answer(label, "not_allowed", 202, ignored=f"repository {repo or '(none)'} is not in GITHUB_ALLOWED_REPOS")
        result = translate(event, payload, await self._config(event))
        if isinstance(result, Ignored):
            return _answer(label, "ignored", 202, ignored=result.reason)
        # the row key: what the signature covers (module docstring); 64 hex digits, the column's width
        key = hashlib.sha256(body).hexdigest()
        # GitHub shows a deleted account as "ghost"; a payload without a sender gets the same identity
        sender = identity.github(str((payload.get("sender") or {}).get("login") or "ghost"))
        action = payload.get("action") if isinstance(payload.get("action"), str) else None
        raw = {"github_delivery": key, "github_guid": guid[:64], "event": event, "action": action}
        requests = [
            Request(
                Event(source="github", user=sender, conversation=job.conversation, text=job.text, command=job.kind,
                      trigger="github", raw=raw),
                idempotency_key=f"gh:{key}:{i}", args=job.args,
            )
            for i, job in enumerate(result)
        ]
        kept = body.decode("utf-8", "replace") if self.keep_bodies else ""
        incoming = IncomingDelivery(key, event, action, repo or None, kept)
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
            return _answer(label, "duplicate", 200, duplicate=guid[:64], already_received=True)
        return _answer(label, "stored", 202, executions=len(requests) - len(refused))
