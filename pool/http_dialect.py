"""The base every dialect client extends: one shared aiohttp session per deployment (keep-alive), the
non-streaming POST, the SSE / NDJSON event reader, and the one place transport errors become
`pool.errors`. A dialect only builds the request body and reads the answer.

aiohttp directly rather than httpx: the pool's CPU budget is twice a raw aiohttp client's, and httpx
on the aiohttp transport already spends about that (docs/decisions.md, "pool").
"""
from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncGenerator, Sequence
from typing import Any

import aiohttp

from pool.errors import (
    BadResponse,
    ProviderError,
    ProviderTimeout,
    ProviderUnavailable,
    RateLimited,
    RequestRejected,
)
from pool.interface import Completion, Message, StreamEvent, ToolSpec

_JSON = {"Content-Type": "application/json"}
_PARSE_ERRORS = (KeyError, IndexError, TypeError, AttributeError, ValueError)


def retry_after_seconds(value: str | None) -> float | None:
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None  # an HTTP date: rare for LLM APIs; the backoff applies instead


def error_detail(raw: bytes) -> str:
    try:
        err = json.loads(raw).get("error")
    except (ValueError, AttributeError):
        return ""
    msg = err.get("message") if isinstance(err, dict) else err
    return f": {str(msg)[:200]}" if msg else ""


class StreamState:
    """Accumulates one streamed answer: `feed` returns the text delta of an event, `finish` the result."""

    def feed(self, event: dict[str, Any]) -> str:
        raise NotImplementedError

    def finish(self, latency_ms: float) -> Completion:
        raise NotImplementedError


class HTTPChatClient:
    kind = "base"
    default_base = ""
    ndjson = False  # Ollama streams NDJSON; the others SSE

    def __init__(
        self, base_url: str | None, *, api_key: str | None, model: str, timeout: float = 60.0, name: str | None = None,
        max_connections: int = 0, max_tokens: int = 1024, stream_limit: float | None = None,
    ) -> None:
        self.name = name or self.kind
        self.model = model
        self.timeout = timeout
        # a whole streamed answer: a provider that trickles tokens for ever is cut off too
        self.stream_limit = stream_limit or max(600.0, timeout * 10)
        self.max_tokens = max_tokens
        self.base_url = (base_url or self.default_base).rstrip("/")
        self._headers = {**_JSON, **self.auth_headers(api_key)}
        self._max_connections = max_connections
        self._session: aiohttp.ClientSession | None = None

    # -- what a dialect provides -------------------------------------------------------------------
    def auth_headers(self, api_key: str | None) -> dict[str, str]:
        return {}

    def request(
        self, messages: Sequence[Message], model: str, tools: Sequence[ToolSpec], max_tokens: int, stream: bool
    ) -> tuple[str, dict[str, Any]]:
        raise NotImplementedError

    def parse(self, data: Any, model: str, messages: Sequence[Message], latency_ms: float) -> Completion:
        raise NotImplementedError

    def stream_state(self, model: str, messages: Sequence[Message]) -> StreamState:
        raise NotImplementedError

    # -- the shared machinery ----------------------------------------------------------------------
    def _http(self) -> aiohttp.ClientSession:
        # created lazily: an aiohttp session belongs to the running loop
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=self._max_connections, keepalive_timeout=30)
            self._session = aiohttp.ClientSession(
                connector=connector, headers=self._headers, timeout=aiohttp.ClientTimeout(total=None)
            )
        return self._session

    async def complete(
        self, messages: Sequence[Message], *, model: str | None = None, tools: Sequence[ToolSpec] = (),
        max_tokens: int | None = None, timeout: float | None = None,
    ) -> Completion:
        model = model or self.model
        timeout = timeout or self.timeout
        path, body = self.request(messages, model, tools, max_tokens or self.max_tokens, False)
        started = time.perf_counter()
        try:
            async with asyncio.timeout(timeout):
                async with self._http().post(self.base_url + path, data=json.dumps(body)) as resp:
                    raw = await resp.read()
                    if resp.status >= 400:
                        raise self._status_error(resp.status, raw, resp.headers.get("Retry-After"))
        except (aiohttp.ClientError, OSError, TimeoutError) as e:
            raise self._transport_error(e, timeout) from e
        latency_ms = (time.perf_counter() - started) * 1000
        try:
            return self.parse(json.loads(raw), model, messages, latency_ms)
        except _PARSE_ERRORS as e:
            raise BadResponse(self.name, f"the answer was not {self.kind} JSON", status=resp.status) from e

    async def stream(
        self, messages: Sequence[Message], *, model: str | None = None, tools: Sequence[ToolSpec] = (),
        max_tokens: int | None = None, timeout: float | None = None,
    ) -> AsyncGenerator[StreamEvent, None]:
        model = model or self.model
        timeout = timeout or self.timeout
        path, body = self.request(messages, model, tools, max_tokens or self.max_tokens, True)
        state = self.stream_state(model, messages)
        seen = 0
        started = time.perf_counter()
        give_up = time.monotonic() + self.stream_limit
        try:
            async with asyncio.timeout(timeout):
                resp = await self._http().post(self.base_url + path, data=json.dumps(body))
            finished = False
            try:
                if resp.status >= 400:
                    raise self._status_error(resp.status, await resp.read(), resp.headers.get("Retry-After"))
                # `timeout` bounds each gap between events that carry something: SSE comments and blank
                # keep-alive lines do not reset it (a provider sending only those never ends otherwise),
                # and the whole answer is bounded by `stream_limit`
                quiet_until = min(time.monotonic() + timeout, give_up)
                while True:
                    async with asyncio.timeout_at(_loop_time(quiet_until)):
                        line = await resp.content.readline()
                    if not line:
                        finished = True
                        break
                    event = self._decode(line)
                    if event is None:
                        continue
                    quiet_until = min(time.monotonic() + timeout, give_up)
                    seen += 1
                    try:
                        delta = state.feed(event)
                    except _PARSE_ERRORS as e:
                        raise BadResponse(self.name, f"a stream event was not {self.kind} JSON") from e
                    if delta:
                        yield delta
            finally:
                # read to the end: the connection goes back for keep-alive; abandoned (the caller stopped,
                # an error): close it, so the provider stops generating
                resp.release() if finished else resp.close()
        except (aiohttp.ClientError, OSError, TimeoutError) as e:
            raise self._transport_error(e, timeout) from e
        if not seen:  # e.g. an HTML error page with status 200 from a proxy
            raise BadResponse(self.name, f"the stream carried no {self.kind} events")
        try:
            yield state.finish((time.perf_counter() - started) * 1000)
        except _PARSE_ERRORS as e:
            raise BadResponse(self.name, "the stream ended without an answer") from e

    def _decode(self, line: bytes) -> dict[str, Any] | None:
        line = line.strip()
        if self.ndjson:
            payload = line
        elif line.startswith(b"data:"):
            payload = line[5:].strip()
            if payload == b"[DONE]":
                return None
        else:
            return None  # SSE "event:" names, comments, blank separators: the data carries the type
        if not payload:
            return None
        try:
            event = json.loads(payload)
        except ValueError as e:
            raise BadResponse(self.name, f"a stream event was not {self.kind} JSON") from e
        if isinstance(event, dict) and event.get("error"):
            raise ProviderUnavailable(self.name, f"error in the stream{error_detail(payload)}")
        return event if isinstance(event, dict) else None

    def _status_error(self, status: int, raw: bytes, retry_after: str | None) -> ProviderError:
        detail = error_detail(raw)
        if status == 429:
            return RateLimited(self.name, f"rate limited (429){detail}", retry_after=retry_after_seconds(retry_after))
        if status >= 500 or status == 408:
            return ProviderUnavailable(self.name, f"server error {status}{detail}", status=status)
        if status in (401, 403):
            return RequestRejected(self.name, f"the API key was refused ({status})", status=status)
        return RequestRejected(self.name, f"request refused ({status}){detail}", status=status)

    def _transport_error(self, e: BaseException, timeout: float) -> ProviderError:
        if isinstance(e, TimeoutError):
            return ProviderTimeout(self.name, f"no answer within {timeout:g}s")
        return ProviderUnavailable(self.name, f"cannot reach {self.base_url} ({type(e).__name__})")

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


def _loop_time(monotonic_at: float) -> float:
    """asyncio.timeout_at takes the loop's clock; the deadlines here are kept on time.monotonic()."""
    return asyncio.get_running_loop().time() + (monotonic_at - time.monotonic())
