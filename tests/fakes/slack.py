"""A fake Slack Web API on 127.0.0.1 driven by the real slack_sdk/bolt clients, plus request signing.

`POST /api/{method}` records every call (JSON or form bodies, as slack_sdk sends them) and answers
like Slack for the methods the bot uses: auth.test, chat.postMessage/update/postEphemeral/delete, the
three steps of files_upload_v2 (getUploadURLExternal → raw upload to the returned URL →
completeUploadExternal), apps.connections.open (Socket Mode), `response_url` posts, and the member
lookups: usergroups.users.list (`usergroups[id] = [user ids]`) and users.info (`users[id] = {...}`,
`is_restricted` / `is_ultra_restricted` for guests), `{"ok": false, "error": …}` for unknown ids as Slack.
`fail_next[method] = (status, retry_after)` scripts one failure, e.g. a 429 with Retry-After.
"""
from __future__ import annotations

import asyncio
import itertools
import json
import time
import urllib.parse
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web
from slack_sdk.signature import SignatureVerifier

from tests.fakes.serve import serve_local

BOT_USER = "U00FAKEBOT"
TEAM = "T00FAKETEAM"
SIGNING_SECRET = "fake-slack-signing-secret-not-real"


@dataclass
class Call:
    method: str
    body: dict[str, Any]
    headers: dict[str, str]
    at: float


@dataclass
class FakeSlack:
    calls: list[Call] = field(default_factory=list)
    uploads: dict[str, bytes] = field(default_factory=dict)
    responses: list[dict[str, Any]] = field(default_factory=list)  # posts to response_url
    fail_next: dict[str, tuple[int, float | None]] = field(default_factory=dict)
    url: str = ""
    _runner: web.AppRunner | None = None
    _ts: itertools.count = field(default_factory=lambda: itertools.count(1))
    socket_acks: list[dict[str, Any]] = field(default_factory=list)
    not_member: set[str] = field(default_factory=set)  # channels the bot was not invited to
    usergroups: dict[str, list[str]] = field(default_factory=dict)  # usergroup id (S…) → member user ids
    # user id → users.info `user` fields; the workspace the fixtures were recorded in has these two
    users: dict[str, dict[str, Any]] = field(default_factory=lambda: {"U00FAKEUSER": {}, "U00FAKEBOT": {"is_bot": True}})
    _socket: web.WebSocketResponse | None = None
    _socket_open: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def api_url(self) -> str:
        return f"{self.url}/api/"

    def response_url(self, name: str = "r1") -> str:
        return f"{self.url}/response_url/{name}"

    def of(self, method: str) -> list[dict[str, Any]]:
        return [c.body for c in self.calls if c.method == method]

    async def __aenter__(self) -> FakeSlack:
        app = web.Application()
        app.router.add_post("/api/{method}", self._api)
        app.router.add_get("/api/{method}", self._api)  # slack_sdk sends users.info and the like as GET
        app.router.add_post("/upload/{file_id}", self._upload)
        app.router.add_post("/response_url/{name}", self._response_url)
        app.router.add_get("/link", self._socket_mode)
        self._runner, self.url = await serve_local(app)
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._socket is not None:
            await self._socket.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def _body(self, request: web.Request) -> dict[str, Any]:
        raw = await request.read()
        query = dict(request.query)  # slack_sdk sends some form methods' params in the query string
        if request.content_type == "application/json":
            return {**query, **json.loads(raw or b"{}")}
        return {**query, **{k: v[0] if len(v) == 1 else v for k, v in urllib.parse.parse_qs(raw.decode()).items()}}

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        body = await self._body(request)
        self.calls.append(Call(method, body, dict(request.headers), time.time()))
        if method in self.fail_next:
            status, retry_after = self.fail_next.pop(method)
            headers = {"Retry-After": str(int(retry_after))} if retry_after is not None else {}
            return web.json_response({"ok": False, "error": "ratelimited"}, status=status, headers=headers)
        token = "xapp-fake" if method == "apps.connections.open" else "xoxb-fake"
        if request.headers.get("Authorization", "") != f"Bearer {token}":
            return web.json_response({"ok": False, "error": "invalid_auth"})
        return web.json_response(self._answer(method, body))

    def _answer(self, method: str, body: dict[str, Any]) -> dict[str, Any]:
        ts = f"{1700000100 + next(self._ts)}.000100"
        if method == "auth.test":
            return {"ok": True, "user_id": BOT_USER, "bot_id": "B00FAKEBOT", "team_id": TEAM, "team": "example", "user": "ops-bot"}
        channel = str(body.get("channel", ""))
        if channel in self.not_member and method.startswith("chat."):
            return {"ok": False, "error": "not_in_channel"}
        if method in ("chat.postMessage", "chat.update"):
            # posting to a user id lands in the bot's DM with that user, a D… channel
            channel = "D" + channel[1:] if channel.startswith("U") else channel
            return {"ok": True, "channel": channel, "ts": body.get("ts") or ts, "message": {"text": body.get("text")}}
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": ts}
        if method == "chat.delete":
            return {"ok": True, "channel": body.get("channel"), "ts": body.get("ts")}
        if method == "files.getUploadURLExternal":
            file_id = f"F{next(self._ts):08d}"
            return {"ok": True, "file_id": file_id, "upload_url": f"{self.url}/upload/{file_id}"}
        if method == "files.completeUploadExternal":
            files = json.loads(body.get("files", "[]"))
            return {"ok": True, "files": [{"id": f["id"], "title": f.get("title")} for f in files]}
        if method == "usergroups.users.list":
            group = str(body.get("usergroup", ""))
            if group not in self.usergroups:
                return {"ok": False, "error": "no_such_subteam"}
            return {"ok": True, "users": list(self.usergroups[group])}
        if method == "users.info":
            user = str(body.get("user", ""))
            if user not in self.users:
                return {"ok": False, "error": "user_not_found"}
            info = {"id": user, "team_id": TEAM, "name": user.lower(), "deleted": False, "is_bot": False,
                    "is_restricted": False, "is_ultra_restricted": False, **self.users[user]}
            return {"ok": True, "user": info}
        if method == "apps.connections.open":
            return {"ok": True, "url": f"{self.url.replace('http', 'ws')}/link"}
        return {"ok": False, "error": "unknown_method"}

    async def _socket_mode(self, request: web.Request) -> web.WebSocketResponse:
        """Socket Mode: `hello`, then envelopes pushed by `send_envelope`; acks are recorded."""
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self._socket = ws
        await ws.send_json({"type": "hello", "num_connections": 1, "connection_info": {"app_id": "A00FAKEAPP"}})
        self._socket_open.set()
        async for msg in ws:
            if msg.type == WSMsgType.TEXT:
                self.socket_acks.append(json.loads(msg.data))
        return ws

    async def send_envelope(self, kind: str, payload: dict[str, Any], envelope_id: str = "env-1") -> None:
        await asyncio.wait_for(self._socket_open.wait(), 10)
        assert self._socket is not None
        await self._socket.send_json({"envelope_id": envelope_id, "type": kind, "accepts_response_payload": True, "payload": payload})

    async def _upload(self, request: web.Request) -> web.Response:
        self.uploads[request.match_info["file_id"]] = await request.read()
        return web.Response(text="OK - uploaded")

    async def _response_url(self, request: web.Request) -> web.Response:
        self.responses.append(await request.json())
        return web.Response(text="ok")


def signed_headers(body: bytes | str, *, secret: str = SIGNING_SECRET, timestamp: int | None = None,
                   content_type: str = "application/x-www-form-urlencoded") -> dict[str, str]:
    """Headers Slack would send: v0 signature over `v0:{timestamp}:{body}` with the signing secret."""
    ts = int(time.time()) if timestamp is None else timestamp
    text = body.decode() if isinstance(body, bytes) else body
    signature = SignatureVerifier(secret).generate_signature(timestamp=str(ts), body=text)
    return {"X-Slack-Request-Timestamp": str(ts), "X-Slack-Signature": signature, "Content-Type": content_type}
