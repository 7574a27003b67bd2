"""A fake Discord (REST + gateway WebSocket) on 127.0.0.1 driven by the real discord.py.

REST: one catch-all route under `/api/v10` records every call (JSON or multipart with `payload_json`
and `files[n]`) and answers with the shapes discord.py parses (a DM channel opened by `User.send` is
kept in `dm_channels`). Bodies go out with the exact
`Content-Type: application/json` discord.py requires (ECOSYSTEM §2). Gateway: HELLO, then READY after
IDENTIFY, heartbeat ACKs, and `dispatch(event, data)` pushes INTERACTION_CREATE / MESSAGE_CREATE.
"""
from __future__ import annotations

import asyncio
import itertools
import json
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.fakes.serve import serve_local

APP_ID = "200000000000000002"
BOT = {"id": APP_ID, "username": "ops-bot", "discriminator": "0000", "global_name": None, "avatar": None, "bot": True}
TOKEN = "fake-discord-bot-token"


def snowflake(at: float | None = None, seq: int = 0) -> str:
    ms = int((at if at is not None else time.time()) * 1000) - 1420070400000
    return str((ms << 22) | (seq & 0x3FFFFF))


@dataclass
class RestCall:
    method: str
    path: str
    query: dict[str, str]
    json: Any
    files: dict[str, bytes]


@dataclass
class FakeDiscord:
    calls: list[RestCall] = field(default_factory=list)
    identified: asyncio.Event = field(default_factory=asyncio.Event)
    fail_next: list[tuple[int, float]] = field(default_factory=list)  # (status, retry_after): 429 or e.g. 404
    url: str = ""
    _ws: web.WebSocketResponse | None = None
    _seq: itertools.count = field(default_factory=lambda: itertools.count(2))
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1))
    _runner: web.AppRunner | None = None
    dm_channels: dict[str, str] = field(default_factory=dict)  # user id → the DM channel opened with them

    @property
    def api_url(self) -> str:
        return f"{self.url}/api/v10"

    @property
    def gateway_url(self) -> str:
        return f"{self.url.replace('http', 'ws')}/gateway"

    def of(self, method: str, prefix: str) -> list[RestCall]:
        return [c for c in self.calls if c.method == method and c.path.startswith(prefix)]

    async def __aenter__(self) -> FakeDiscord:
        app = web.Application()
        app.router.add_get("/gateway", self._gateway)
        app.router.add_route("*", "/api/v10/{path:.*}", self._rest)
        self._runner, self.url = await serve_local(app)
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._ws is not None:
            await self._ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    # -- gateway ------------------------------------------------------------------------------------
    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self._ws = ws
        await ws.send_json({"op": 10, "d": {"heartbeat_interval": 45000}})
        async for msg in ws:
            data = json.loads(msg.data)
            if data["op"] == 1:
                await ws.send_json({"op": 11})
            elif data["op"] == 2:
                await ws.send_json({"op": 0, "t": "READY", "s": 1, "d": {
                    "v": 10, "user": BOT, "guilds": [], "session_id": "fake-session",
                    "resume_gateway_url": self.gateway_url, "shard": [0, 1],
                    "application": {"id": APP_ID, "flags": 0},
                }})
                self.identified.set()
        return ws

    async def dispatch(self, event: str, data: dict[str, Any]) -> None:
        await asyncio.wait_for(self.identified.wait(), 10)
        assert self._ws is not None
        await self._ws.send_json({"op": 0, "t": event, "s": next(self._seq), "d": data})

    # -- REST ---------------------------------------------------------------------------------------
    async def _rest(self, request: web.Request) -> web.Response:
        path = "/" + request.match_info["path"]
        body: Any = None
        files: dict[str, bytes] = {}
        if request.content_type.startswith("multipart/"):
            reader = await request.multipart()
            async for part in reader:
                if part.name == "payload_json":
                    body = json.loads(await part.text())
                else:
                    files[part.filename or part.name or ""] = bytes(await part.read())
        elif request.can_read_body:
            raw = await request.read()
            body = json.loads(raw) if raw else None
        self.calls.append(RestCall(request.method, path, dict(request.query), body, files))
        if self.fail_next:
            status, retry_after = self.fail_next.pop(0)
            if status != 429:
                return self._json({"message": "Unknown Webhook", "code": 10015}, status)
            return self._json({"message": "You are being rate limited.", "retry_after": retry_after, "global": False},
                              status, {"Retry-After": str(retry_after), "Via": "1.1 google"})
        return self._json(*self._answer(request.method, path, body, files))

    def _json(self, data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
        if status == 204:
            return web.Response(status=204)
        return web.Response(body=json.dumps(data).encode(), status=status,
                            headers={"Content-Type": "application/json", **(headers or {})})

    def message(self, channel_id: str, body: dict[str, Any] | None, files: dict[str, bytes] | None = None) -> dict[str, Any]:
        body = body or {}
        return {
            "id": str(next(self._ids) + 900000000000000000), "channel_id": channel_id, "author": BOT,
            "content": body.get("content", ""), "timestamp": "2026-11-23T00:00:00.000000+00:00",
            "edited_timestamp": None, "tts": False, "mention_everyone": False, "mentions": [], "mention_roles": [],
            "attachments": [{"id": str(i), "filename": n, "size": len(b), "url": f"{self.url}/a/{n}", "proxy_url": ""}
                            for i, (n, b) in enumerate((files or {}).items())],
            "embeds": body.get("embeds", []), "pinned": False, "type": 0, "components": body.get("components", []),
        }

    def _answer(self, method: str, path: str, body: Any, files: dict[str, bytes]) -> tuple[Any, int]:
        parts = path.strip("/").split("/")
        if path == "/users/@me":
            return BOT, 200
        if path == "/users/@me/channels":  # User.send opens the DM channel first
            recipient = str((body or {}).get("recipient_id"))
            channel = self.dm_channels.setdefault(recipient, str(next(self._ids) + 510000000000000000))
            user = {"id": recipient, "username": "user", "global_name": None, "discriminator": "0", "avatar": None}
            return {"id": channel, "type": 1, "last_message_id": None, "recipients": [user]}, 200
        if path == "/oauth2/applications/@me":
            return {"id": APP_ID, "name": "ops-bot", "icon": None, "description": "", "bot_public": False,
                    "bot_require_code_grant": False, "owner": BOT, "verify_key": "00" * 32, "flags": 0}, 200
        if parts[0] == "gateway":
            return {"url": self.gateway_url, "shards": 1, "session_start_limit": {
                "total": 1000, "remaining": 1000, "reset_after": 0, "max_concurrency": 1}}, 200
        if parts[0] == "applications" and parts[-1] == "commands":
            return [dict(c, id=str(i + 1), application_id=APP_ID, version="1") for i, c in enumerate(body or [])], 200
        if parts[0] == "interactions":
            msg = self.message("0", {"content": ""})
            return {"interaction": {"id": parts[1], "type": 2, "response_message_id": msg["id"],
                                    "response_message_loading": True, "response_message_ephemeral": False},
                    "resource": {"type": (body or {}).get("type", 5), "message": msg}}, 200
        if method == "DELETE":
            return None, 204
        if parts[0] == "webhooks":
            return self.message("0", body, files), 200
        if parts[0] == "channels" and parts[2] == "messages":
            return self.message(parts[1], body, files), 200
        return {"message": "404: Not Found", "code": 0}, 404
