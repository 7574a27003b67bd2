"""The long-running modes: run (everything), web (HTTP + adapters), worker (loop only), console."""
from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys

from bot.adapters.console import ConsoleOutbound
from bot.app import StartupError, open_bot
from bot.heap import freeze_startup_heap
from bot.settings import Settings

log = logging.getLogger("chatops")


def _stop_on_signals(stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)


def chat_platform_configured(settings: Settings) -> bool:
    from bot.adapters.platforms import PLATFORMS

    sections = settings.sections()
    return any(p.name != "console" and p.name != "github" and p.configured(sections) for p in PLATFORMS)


async def serve(settings: Settings, *, http: bool, worker: bool, console: bool, host: str, port: int,
                options: dict[str, dict[str, object]] | None = None) -> int:
    stop = asyncio.Event()
    _stop_on_signals(stop)
    # Every process can print: rows addressed to "console" (e.g. REPORT_CHANNEL=console) go to its stdout.
    stdout = ConsoleOutbound(settings.core.data_dir)
    # chat platforms receive in `run` and `web` (the modes with HTTP); every mode can deliver
    async with open_bot(settings, outbounds=[stdout], receive=http, options=options) as bot, contextlib.AsyncExitStack() as stack:
        tasks: list[asyncio.Task[None]] = []
        if http:
            from bot.http import build_http_app, metrics_app
            from bot.server import HttpServer

            core = settings.core
            try:
                server = await stack.enter_async_context(
                    HttpServer(build_http_app(bot), host, port, log_level=core.log_level)
                )
                if core.metrics_port is not None:
                    scrape = await stack.enter_async_context(
                        HttpServer(metrics_app(), core.metrics_host, core.metrics_port, log_level=core.log_level)
                    )
                    log.info("metrics without a token on http://%s:%s/metrics", core.metrics_host, scrape.port)
            except OSError as e:
                raise StartupError(str(e)) from None
            log.info("HTTP on http://%s:%s (health, ready, metrics, %d platform routes); pages %s", host, server.port,
                     len(bot.routes), "open to all (STATUS_PUBLIC)" if core.status_public else "behind sign-in")
            from bot.scheduler import run_scheduler

            await stack.enter_async_context(run_scheduler(bot))  # `run` and `web`; only the leader runs jobs
        if worker:
            # `worker` serves the shared queue; a console also serves the rows pinned to its terminal
            w = bot.worker(shared=True, pinned=bot.instance if console else None)
            tasks.append(asyncio.create_task(w.run(stop), name="worker"))
            log.info("worker %s running (concurrency %d)", bot.instance, w.concurrency)
        if console:
            from bot.repl import repl

            async def console_then_stop() -> None:
                await repl(bot, stdout, stop, timeout=settings.llm.llm_timeout * 3)
                stop.set()

            tasks.append(asyncio.create_task(console_then_stop(), name="console"))
        freeze_startup_heap()  # everything long-lived exists now
        await stop.wait()
        log.info("stopping")
        await asyncio.gather(*tasks, return_exceptions=True)
    return 0


async def console_mode(settings: Settings) -> int:
    return await serve(settings, http=False, worker=True, console=True, host="", port=0)


async def say_mode(settings: Settings, line: str, timeout: float) -> int:
    from bot.repl import say

    console_out = ConsoleOutbound(settings.core.data_dir)
    stop = asyncio.Event()
    async with open_bot(settings, outbounds=[console_out]) as bot:
        worker = bot.worker(shared=False, pinned=bot.instance, concurrency=1)
        task = asyncio.create_task(worker.run(stop))
        try:
            return await say(bot, console_out, line, timeout)
        finally:
            stop.set()
            await task


def wants_console(settings: Settings) -> bool:
    return sys.stdin.isatty() and not chat_platform_configured(settings)
