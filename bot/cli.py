"""The `chatops` command. Heavy modules are imported inside each mode so `chatops say` starts fast."""
from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence

EXIT_CONFIG = 2


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="chatops", description="Chat-ops bot: slash commands, GitHub events, LLM workers.")
    p.add_argument("--env-file", default=".env", help="settings file read besides the environment (default .env)")
    sub = p.add_subparsers(dest="mode")
    for name, text in (
        ("run", "everything in one process: HTTP, chat adapters, scheduler, worker (and the console on a terminal)"),
        ("web", "HTTP server, chat adapters and scheduler, without the worker loop"),
    ):
        sp = sub.add_parser(name, help=text)
        sp.add_argument("--host", help="listen address (default: HOST setting, 127.0.0.1)")
        sp.add_argument("--port", type=int, help="listen port (default: PORT setting, 8000)")
    sub.add_parser("worker", help="the worker loop only")
    sub.add_parser("console", help="an interactive console (history, /help, Ctrl-D quits)")
    sp = sub.add_parser("say", help='run one command, print the reply, exit non-zero on error: chatops say "/status"')
    sp.add_argument("line", nargs="+", help="the command line, e.g. /ask what is a lease?")
    sp.add_argument("--timeout", type=float, default=None, help="seconds to wait for the answer")
    db = sub.add_parser("db", help="database maintenance")
    db.add_argument("action", choices=["upgrade"], help="apply schema migrations")
    sub.add_parser("check", help="print the effective configuration and whether each service answers")
    sp = sub.add_parser("bench", help="run a benchmark and print one JSON object")
    sp.add_argument("name", help="benchmark name (e.g. spine)")
    sp.add_argument("--json", action="store_true", help="print JSON only (the default output)")
    sp.add_argument("--n", type=int, default=None, help="number of operations")
    sp.add_argument("--database-url", action="append", default=None, help="database(s) to measure")
    mcp = sub.add_parser("mcp", help="MCP providers: serve a built-in provider to other MCP clients")
    mcp_sub = mcp.add_subparsers(dest="mcp_action", required=True)
    sp = mcp_sub.add_parser("serve", help="run one built-in provider (db, shopify, …) as a standalone MCP server")
    sp.add_argument("name", help="provider name, e.g. db or shopify")
    sp.add_argument("--transport", choices=["stdio", "http"], default="stdio", help="stdio (default) or streamable HTTP")
    sp.add_argument("--host", default="127.0.0.1", help="HTTP listen address (default 127.0.0.1)")
    sp.add_argument("--port", type=int, default=8765, help="HTTP listen port (default 8765); the endpoint is /mcp")
    from bot.cli_access import add_parser as add_access_parser
    from bot.cli_keys import add_parser as add_keys_parser

    add_keys_parser(sub)
    add_access_parser(sub)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    mode = args.mode or "run"

    from bot.settings import ConfigError, load_settings

    try:
        settings = load_settings(args.env_file)
    except ConfigError as e:
        print(e, file=sys.stderr)
        return EXIT_CONFIG
    logging.basicConfig(
        level=settings.core.log_level if mode not in ("say", "bench", "mcp", "keys", "tokens", "audit") else "WARNING",
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    if settings.core.log_level != "DEBUG":  # its per-job INFO lines drown the bot's own
        logging.getLogger("apscheduler").setLevel(logging.WARNING)
    try:
        return asyncio.run(_dispatch(mode, args, settings))
    except KeyboardInterrupt:
        return 130
    except Exception as e:
        from bot.app import StartupError

        if isinstance(e, StartupError):
            print(f"error: {e}", file=sys.stderr)
            return EXIT_CONFIG
        raise


async def _dispatch(mode: str, args: argparse.Namespace, settings: object) -> int:
    from bot import runner
    from bot.settings import Settings

    assert isinstance(settings, Settings)
    core = settings.core
    if mode in ("run", "web"):
        host = args.host if getattr(args, "host", None) else core.host
        port = args.port if getattr(args, "port", None) is not None else core.port
        console = mode == "run" and runner.wants_console(settings)
        return await runner.serve(settings, http=True, worker=mode == "run", console=console, host=host, port=port)
    if mode == "worker":
        return await runner.serve(settings, http=False, worker=True, console=False, host="", port=0)
    if mode == "console":
        return await runner.console_mode(settings)
    if mode == "say":
        timeout = args.timeout or settings.llm.llm_timeout * 3
        return await runner.say_mode(settings, " ".join(args.line), timeout)
    if mode == "db":
        from bot.app import prepare_database
        from bot.storage.engine import create_engine, masked_url

        engine = create_engine(core.database_url)
        try:
            await prepare_database(engine, core.database_url)
        finally:
            await engine.dispose()
        print(f"database {masked_url(core.database_url)} is at the latest schema")
        return 0
    if mode == "check":
        from bot.check import run_check

        return await run_check(settings, args.env_file)
    if mode == "keys":
        from bot.cli_keys import run_keys

        return await run_keys(args, settings)
    if mode in ("tokens", "audit"):
        from bot import cli_access

        return await (cli_access.run_tokens if mode == "tokens" else cli_access.run_audit)(args, settings)
    if mode == "bench":
        from bench import run_bench

        return await run_bench(args.name, n=args.n, database_urls=args.database_url)
    if mode == "mcp":
        from providers import serve_provider

        return await serve_provider(args.name, settings.mcp, transport=args.transport, host=args.host, port=args.port,
                                    github=settings.github if settings.github.enabled else None)
    raise AssertionError(mode)
