"""uvicorn in the bot's own event loop, with signals left to the bot's lifecycle, and limits at the edge.

The bot's HTTP endpoints face the internet (Slack, GitHub and anyone else), so the server bounds what one
client can hold:

- request headers: at most `max_header_bytes` (default 32 KiB) from the first byte of a request to the
  end of its headers; more is answered 431 and the connection closed, before any of it is parsed or
  logged;
- reading a request: the whole request (headers and body) must arrive within `read_timeout` seconds
  (default 15) of the connection opening or of the request's first byte; a slow or stalled sender is
  answered 408 (headers) or cut off (body: the endpoint sees a disconnect). Slack gives up after 3 s
  and GitHub after 10 s, so a request slower than that was not going to be answered in time anyway;
- `timeout_keep_alive` (5 s) closes idle keep-alive connections, and `limit_concurrency` (1000
  connections or requests in flight) answers 503 beyond it, well below the process's file limit.

These are constants, not settings: they are protocol hygiene that no deployment needs to tune (a reverse
proxy in front has its own). The guard is one timer per request and one addition per received chunk
while headers arrive; the acknowledgement paths do no other work for it.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Generator
from typing import Any

import uvicorn
from starlette.types import ASGIApp

log = logging.getLogger("chatops.http")

MAX_HEADER_BYTES = 32 * 1024
READ_TIMEOUT = 15.0
KEEP_ALIVE = 5
MAX_CONCURRENCY = 1000



def _plain(status: bytes, text: bytes) -> bytes:
    return (b"HTTP/1.1 " + status + b"\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: "
            + str(len(text)).encode() + b"\r\nconnection: close\r\n\r\n" + text)


_431 = _plain(b"431 Request Header Fields Too Large", b"request headers too large\n")
_408 = _plain(b"408 Request Timeout", b"request not received in time\n")


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        # The bot owns SIGINT/SIGTERM and stops every component in order; uvicorn must not re-raise them.
        yield


def guarded_protocol(max_header_bytes: int, read_timeout: float) -> type[asyncio.Protocol]:
    """uvicorn's httptools protocol with a header-size bound and a read deadline (module docstring)."""
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

    class Guarded(HttpToolsProtocol):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._in_headers = True  # between a request's first byte (or the connection) and its headers' end
            self._header_bytes = 0
            self._deadline: asyncio.TimerHandle | None = None

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self._arm()

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            super().connection_lost(exc)

        def data_received(self, data: bytes) -> None:
            if self._in_headers:
                room = max_header_bytes - self._header_bytes
                if len(data) > room:  # feed what fits: its headers may end inside it, the rest is body
                    self._header_bytes = max_header_bytes
                    super().data_received(data[:room])
                    if self._in_headers:
                        self._refuse(_431, f"request headers larger than {max_header_bytes} bytes")
                        return
                    data = data[room:]
                else:
                    self._header_bytes += len(data)
            if not self.transport.is_closing():
                super().data_received(data)

        def on_message_begin(self) -> None:
            super().on_message_begin()
            self._in_headers = True
            if self._deadline is None:  # the next request on a kept-alive connection
                self._arm()

        def on_headers_complete(self) -> None:
            self._in_headers = False
            super().on_headers_complete()

        def on_message_complete(self) -> None:
            self._disarm()
            self._header_bytes = 0
            self._in_headers = True
            super().on_message_complete()

        def handle_websocket_upgrade(self) -> None:
            self._disarm()  # the connection now belongs to the WebSocket protocol
            super().handle_websocket_upgrade()

        def _arm(self) -> None:
            self._disarm()
            self._deadline = self.loop.call_later(read_timeout, self._too_slow)

        def _disarm(self) -> None:
            if self._deadline is not None:
                self._deadline.cancel()
                self._deadline = None

        def _too_slow(self) -> None:
            self._deadline = None
            if self.transport.is_closing():
                return
            cycle: Any = self.cycle  # None until the first request's headers are in
            if self._in_headers and (cycle is None or cycle.response_complete):
                self._refuse(_408, f"request headers not received within {read_timeout:g}s")
            else:  # the endpoint is reading the body: closing makes its receive() say http.disconnect
                log.warning("http: %s: request body not received within %gs: connection closed", self._peer(), read_timeout)
                self.transport.close()

        def _refuse(self, answer: bytes, why: str) -> None:
            log.warning("http: %s: %s: connection closed", self._peer(), why)
            self._disarm()
            self.transport.write(answer)
            self.transport.close()

        def _peer(self) -> str:
            return f"{self.client[0]}:{self.client[1]}" if self.client else "client"

    return Guarded


def _http_protocol(max_header_bytes: int, read_timeout: float) -> type[asyncio.Protocol] | str:
    try:
        return guarded_protocol(max_header_bytes, read_timeout)
    except ImportError:  # httptools missing (uvicorn without [standard]): h11 bounds the headers only
        return "h11"


class HttpServer:
    def __init__(
        self, app: ASGIApp, host: str, port: int, log_level: str = "warning", *,
        max_header_bytes: int = MAX_HEADER_BYTES, read_timeout: float = READ_TIMEOUT,
        keep_alive: int = KEEP_ALIVE, max_concurrency: int = MAX_CONCURRENCY,
    ) -> None:
        config = uvicorn.Config(
            app, host=host, port=port, log_level=log_level.lower(), access_log=False, lifespan="off",
            http=_http_protocol(max_header_bytes, read_timeout),
            h11_max_incomplete_event_size=max_header_bytes, timeout_keep_alive=keep_alive,
            limit_concurrency=max_concurrency,
        )
        self._server = _Server(config)
        self._host, self._port = host, port
        self._task: asyncio.Task[None] | None = None

    @property
    def port(self) -> int:
        sockets = self._server.servers[0].sockets if self._server.servers else []
        return int(sockets[0].getsockname()[1]) if sockets else 0

    async def __aenter__(self) -> HttpServer:
        self._task = asyncio.create_task(self._serve(), name="http-server")
        while not self._server.started:
            if self._task.done():
                self._task.result()
                raise OSError(f"cannot listen on {self._host}:{self._port} (is the port in use?)")
            await asyncio.sleep(0.01)
        return self

    async def _serve(self) -> None:
        # uvicorn logs a bind error and calls sys.exit(); inside a task that would stop the whole loop
        with contextlib.suppress(SystemExit):
            await self._server.serve()

    async def __aexit__(self, *exc: object) -> None:
        self._server.should_exit = True
        if self._task is not None:
            await self._task
