"""Plain-ASGI pieces for the busiest inbound endpoints (Slack's events, GitHub's webhook).

Starlette's Request/Response wrappers cost about as much as verifying and storing a request, so these two
endpoints read the body and answer on the ASGI interface themselves; everything else stays Starlette.
"""
from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]


class TooLarge(Exception):
    pass


class Disconnected(Exception):
    pass


def headers_of(scope: Scope, wanted: tuple[bytes, ...]) -> dict[bytes, bytes]:
    """The wanted request headers (lower-case names, as ASGI servers give them); the last of repeats wins."""
    return {k: v for k, v in scope["headers"] if k in wanted}


async def read_limited(receive: Receive, declared: bytes | None, limit: int) -> bytes:
    """The request body, refused as soon as it is known to exceed `limit` (declared or counted)."""
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise TooLarge
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise Disconnected
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:  # a lying or absent Content-Length is caught here
            raise TooLarge
        chunks.append(chunk)
        if not message.get("more_body", False):
            return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def replay(body: bytes) -> Receive:
    """A `receive` that gives `body` again, for handing an already-read request to a Starlette handler."""
    sent = False

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return receive


_JSON = (b"content-type", b"application/json")


async def send_json(send: Send, status: int, body: bytes) -> None:
    await send({
        "type": "http.response.start", "status": status,
        "headers": [_JSON, (b"content-length", str(len(body)).encode())],
    })
    await send({"type": "http.response.body", "body": body})
