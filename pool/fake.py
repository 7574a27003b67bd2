"""A fake LLM server on 127.0.0.1 for tests and benchmarks (shipped like aiohttp's test_utils).

One server speaks all four dialects over a real socket, streaming included:
OpenAI `POST /v1/chat/completions` (+ `GET /v1/models`), Anthropic `POST /v1/messages`, Gemini
`POST /v1beta/models/{model}:generateContent` and `:streamGenerateContent?alt=sse`, Ollama `POST /api/chat`;
the models lists `chatops check` reads: `GET /v1/models`, `/v1beta/models`, `/api/tags`.
Knobs: latency, status, fail_rate, retry_after, malformed, hang, reply, usage, tool_calls, chunk_delay,
cut_after, keepalive_after.
A per-request script (`server.script.append(Behavior(...))`) overrides the default for the next requests.
Run alone: `python -m pool.fake --port 8901 --latency 0.1` (prints its OpenAI base URL).
"""
from __future__ import annotations

import argparse
import asyncio
import json
import random
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from typing import Any

from aiohttp import web

from pool.fake_dialects import DIALECTS, Answer, error_body, turns


@dataclass(frozen=True, slots=True)
class Behavior:
    latency: float = 0.0
    status: int | None = None  # answer with this HTTP status instead of a completion
    fail_rate: float = 0.0  # probability of answering `status or 500`
    retry_after: float | None = None  # sent with 429 (and 503)
    malformed: bool = False  # 200 with a body that is not the dialect's JSON
    hang: bool = False  # never answer (until the client gives up)
    reply: str | None = None  # fixed answer; default echoes the last user message
    usage: bool = True  # include token usage
    tool_calls: tuple[dict[str, Any], ...] = ()  # [{"name": …, "arguments": {…}}] when the request offers tools
    tool_calls_always: bool = False  # call the tools even after a tool result (a model stuck in a loop)
    chunk_delay: float = 0.0  # pause between streamed chunks
    cut_after: int | None = None  # drop the connection after this many streamed chunks
    keepalive_after: int | None = None  # after this many chunks send only SSE keep-alive comments (≤ 60 s)
    keepalive_every: float = 0.05


@dataclass
class FakeLLM:
    behavior: Behavior = field(default_factory=Behavior)
    script: deque[Behavior] = field(default_factory=deque)
    requests: list[dict[str, Any]] = field(default_factory=list)
    keep_requests: bool = True
    url: str = ""  # the OpenAI-compatible base (…/v1), as OPENAI_BASE_URL wants it
    root: str = ""  # scheme://host:port, as ANTHROPIC_BASE_URL, GEMINI_BASE_URL and OLLAMA_HOST want it
    listings: list[dict[str, Any]] = field(default_factory=list)  # GETs of a models list (chatops check)
    disconnects: int = 0  # requests the client gave up on before the answer was complete
    _runner: web.AppRunner | None = None

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self._handler("openai"))
        app.router.add_get("/v1/models", self._models)  # OpenAI's and Anthropic's models list
        app.router.add_get("/v1beta/models", self._models)  # Gemini's
        app.router.add_get("/api/tags", self._models)  # Ollama's
        app.router.add_post("/v1/messages", self._handler("anthropic"))
        app.router.add_post("/v1beta/models/{target}", self._handler("gemini"))
        app.router.add_post("/api/chat", self._handler("ollama"))
        return app

    def base_url(self, kind: str) -> str:
        return self.url if kind == "openai" else self.root

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        # handler_cancellation: a client that disconnects cancels its handler, so `disconnects` is observable
        self._runner = web.AppRunner(self.app(), access_log=None, handler_cancellation=True, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        bound = int(self._runner.addresses[0][1])  # the port the OS picked for port 0
        self.root = f"http://{host}:{bound}"
        self.url = f"{self.root}/v1"
        return self.url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeLLM:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def _models(self, request: web.Request) -> web.Response:
        self.listings.append({"path": request.path_qs, "headers": dict(request.headers)})
        return web.json_response({"object": "list", "data": [{"id": "fake-model", "object": "model"}]})

    def _handler(self, dialect: str) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        async def handle(request: web.Request) -> web.StreamResponse:
            return await self._serve(dialect, request)

        return handle

    async def _serve(self, dialect: str, request: web.Request) -> web.StreamResponse:
        try:
            return await self._answer_request(dialect, request)
        except asyncio.CancelledError:
            self.disconnects += 1  # the client closed the connection before the answer was complete
            raise

    async def _answer_request(self, dialect: str, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        stream = bool(body.get("stream"))
        model = str(body.get("model", "fake-model"))
        if dialect == "gemini":
            model, _, action = request.match_info["target"].partition(":")
            stream = action == "streamGenerateContent"
        if self.keep_requests:
            self.requests.append(
                {"dialect": dialect, "body": body, "headers": dict(request.headers), "path": request.path_qs, "at": time.time()}
            )
        b = self.script.popleft() if self.script else self.behavior
        if b.hang:
            await asyncio.sleep(3600)
        if b.latency:
            await asyncio.sleep(b.latency)
        failing = b.status is not None and (b.fail_rate == 0 or random.random() < b.fail_rate)
        if b.fail_rate and b.status is None and random.random() < b.fail_rate:
            b, failing = replace(b, status=500), True
        if failing:
            status = b.status or 500
            headers = {"Retry-After": f"{b.retry_after:g}"} if b.retry_after is not None else {}
            return web.json_response(error_body(dialect, status, f"fake failure {status}"), status=status, headers=headers)
        if b.malformed:
            return web.Response(text="<html>not json</html>", content_type="text/html")
        answer = self._answer(dialect, body, model, b)
        render = DIALECTS[dialect]
        if not stream:
            return web.Response(text=json.dumps(render.full(answer)), content_type="application/json")
        resp = web.StreamResponse(headers={"Content-Type": render.content_type})
        await resp.prepare(request)
        for i, chunk in enumerate(render.chunks(answer, body)):
            if b.cut_after is not None and i >= b.cut_after:
                assert request.transport is not None
                request.transport.close()  # mid-answer: the client sees an incomplete body
                return resp
            if b.keepalive_after is not None and i >= b.keepalive_after:
                # a provider (or a proxy) that keeps the connection open with comments and never finishes
                deadline = asyncio.get_running_loop().time() + 60
                while asyncio.get_running_loop().time() < deadline:
                    try:
                        # SSE: a comment line; NDJSON (Ollama): an empty line
                        await resp.write(b"\n" if "ndjson" in render.content_type else b": keep-alive\n\n")
                    except (ConnectionResetError, RuntimeError):  # the client gave up
                        self.disconnects += 1
                        return resp
                    await asyncio.sleep(b.keepalive_every)
                return resp
            await resp.write(chunk)
            if b.chunk_delay:
                await asyncio.sleep(b.chunk_delay)
        await resp.write_eof()
        return resp

    def _answer(self, dialect: str, body: dict[str, Any], model: str, b: Behavior) -> Answer:
        said = turns(dialect, body)
        last_role, last_text = said[-1] if said else ("user", "")
        offered_tools = bool(body.get("tools"))
        calls = b.tool_calls if offered_tools and (last_role != "tool" or b.tool_calls_always) else ()
        if b.reply is not None:
            text = b.reply
        elif last_role == "tool":
            text = f"tool said: {last_text}"
        else:
            text = "" if calls else f"echo: {last_text}"
        prompt = sum(len(t) for _, t in said) // 4 + 1
        usage = (prompt, len(text) // 4 + 1) if b.usage else None
        return Answer(model=model, text=text, tool_calls=tuple(calls), usage=usage)


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
