"""uvicorn in the bot's own event loop, with signals left to the bot's lifecycle."""
from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Generator

import uvicorn
from starlette.types import ASGIApp


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        # The bot owns SIGINT/SIGTERM and stops every component in order; uvicorn must not re-raise them.
        yield


class HttpServer:
    def __init__(self, app: ASGIApp, host: str, port: int, log_level: str = "warning") -> None:
        config = uvicorn.Config(app, host=host, port=port, log_level=log_level.lower(), access_log=False, lifespan="off")
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
