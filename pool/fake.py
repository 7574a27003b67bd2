"""A fake LLM server on 127.0.0.1 for tests and benchmarks (shipped like aiohttp's test_utils).

Speaks OpenAI-compatible chat completions (`POST /v1/chat/completions`, `GET /v1/models`) over a real
socket, with knobs for latency, errors, 429 + Retry-After, malformed bodies and hangs. A per-request
script (`server.script.append(Behavior(...))`) overrides the default behaviour for the next requests.
Run alone: `python -m pool.fake --port 8901 --latency 0.1` (prints its base URL).
"""
from __future__ import annotations

import argparse
import asyncio
import json
import random
import time
from collections import deque
from dataclasses import dataclass, field, replace
from typing import Any

from aiohttp import web


@dataclass(frozen=True, slots=True)
class Behavior:
    latency: float = 0.0
    status: int | None = None  # answer with this HTTP status instead of a completion
    fail_rate: float = 0.0  # probability of answering `status or 500`
    retry_after: float | None = None  # sent with 429 (and 503)
    malformed: bool = False  # 200 with a body that is not chat-completions JSON
    hang: bool = False  # never answer (until the client gives up)
    reply: str | None = None  # fixed answer; default echoes the last user message
    usage: bool = True  # include token usage


@dataclass
class FakeLLM:
    behavior: Behavior = field(default_factory=Behavior)
    script: deque[Behavior] = field(default_factory=deque)
    requests: list[dict[str, Any]] = field(default_factory=list)
    keep_requests: bool = True
    url: str = ""
    _runner: web.AppRunner | None = None
    _closing: asyncio.Event = field(default_factory=asyncio.Event)

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self._chat)
        app.router.add_get("/v1/models", self._models)
        return app

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        self._closing = asyncio.Event()
        self._runner = web.AppRunner(self.app(), access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        bound = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://{host}:{bound}/v1"
        return self.url

    async def stop(self) -> None:
        self._closing.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeLLM:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def _models(self, request: web.Request) -> web.Response:
        return web.json_response({"object": "list", "data": [{"id": "fake-model", "object": "model"}]})

    async def _chat(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        if self.keep_requests:
            self.requests.append({"body": body, "headers": dict(request.headers), "at": time.time()})
        b = self.script.popleft() if self.script else self.behavior
        if b.hang:
            await self._closing.wait()  # until the client gives up or the fake stops
            raise web.HTTPServiceUnavailable()
        if b.latency:
            await asyncio.sleep(b.latency)
        failing = b.status is not None and (b.fail_rate == 0 or random.random() < b.fail_rate)
        if b.fail_rate and b.status is None and random.random() < b.fail_rate:
            b, failing = replace(b, status=500), True
        if failing:
            headers = {"Retry-After": str(b.retry_after)} if b.retry_after is not None else {}
            err = {"error": {"message": f"fake failure {b.status}", "type": "fake"}}
            return web.json_response(err, status=b.status or 500, headers=headers)
        if b.malformed:
            return web.Response(text="<html>not json</html>", content_type="text/html")
        messages = body.get("messages") or []
        last = next((m.get("content", "") for m in reversed(messages) if m.get("role") == "user"), "")
        text = b.reply if b.reply is not None else f"echo: {last}"
        data: dict[str, Any] = {
            "id": "chatcmpl-fake",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body.get("model", "fake-model"),
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
        }
        if b.usage:
            prompt = sum(len(str(m.get("content", ""))) for m in messages) // 4 + 1
            data["usage"] = {"prompt_tokens": prompt, "completion_tokens": len(text) // 4 + 1}
        return web.Response(text=json.dumps(data), content_type="application/json")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--latency", type=float, default=0.0)
    p.add_argument("--fail-rate", type=float, default=0.0)
    p.add_argument("--hang", action="store_true")
    args = p.parse_args()

    async def serve() -> None:
        fake = FakeLLM(Behavior(latency=args.latency, fail_rate=args.fail_rate, hang=args.hang), keep_requests=False)
        print(await fake.start(args.host, args.port), flush=True)
        await asyncio.Event().wait()

    try:
        asyncio.run(serve())
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
