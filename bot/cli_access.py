"""`chatops tokens …` (web and API tokens) and `chatops audit export` (the audit trail as JSON lines).

Whoever runs these owns the machine and the database: they act as `console:<os user>`, and what they do
is written to the audit trail like a change made from chat. A token's secret is printed once, on stdout
alone, so `chatops tokens create grafana --role viewer > grafana.token` keeps it out of the terminal.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import sys
import time
from collections.abc import AsyncIterator
from typing import Any

WEB_ROLES = ("viewer", "member", "operator", "admin")


def add_parser(sub: Any) -> None:
    tokens = sub.add_parser("tokens", help="tokens for the status page, /api/* and /metrics")
    act = tokens.add_subparsers(dest="tokens_action", required=True)
    sp = act.add_parser("create", help="make a token and print it once")
    sp.add_argument("name", help="who or what uses it, e.g. grafana or alice-laptop")
    sp.add_argument("--role", choices=WEB_ROLES, default="viewer", help="viewer (default) sees the status surfaces; "
                    "admin also /api/audit")
    sp.add_argument("--expires", default=None, help="lifetime such as 90d or 12h (default: until revoked)")
    act.add_parser("list", help="the live tokens: name, role, who made it, last use (never the secret)")
    sp = act.add_parser("revoke", help="end a token and the browser sessions signed in with it")
    sp.add_argument("name")
    audit = sub.add_parser("audit", help="the audit trail")
    act = audit.add_subparsers(dest="audit_action", required=True)
    sp = act.add_parser("export", help="every entry as JSON lines on stdout, newest first")
    sp.add_argument("--since", default=None, help="only the last 24h, 7d, … (default: everything kept)")


@contextlib.asynccontextmanager
async def _engine(settings: Any) -> AsyncIterator[Any]:
    from bot.app import prepare_database
    from bot.storage.engine import create_engine

    engine = create_engine(settings.core.database_url)
    try:
        await prepare_database(engine, settings.core.database_url)
        yield engine
    finally:
        await engine.dispose()


def _seconds(value: str) -> float:
    from commands.access.commands import parse_window
    from commands.errors import UserError

    try:
        return parse_window(value, "en")
    except UserError as e:
        raise SystemExit(f"error: {e}") from None


def _when(ts: float | None) -> str:
    return "never" if ts is None else time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(ts))


async def run_tokens(args: argparse.Namespace, settings: Any) -> int:
    import getpass

    from bot.storage.tokens import TokenStore

    me = f"console:{getpass.getuser()}"
    async with _engine(settings) as engine:
        store = TokenStore(engine)
        if args.tokens_action == "create":
            ttl = None if args.expires is None else _seconds(args.expires)
            try:
                secret = await store.create(args.name, args.role, me, ttl=ttl)
            except ValueError as e:
                print(f"error: {e}", file=sys.stderr)
                return 1
            print(secret)
            print(f"token {args.name!r} ({args.role}) created; it is shown only now. Send it as "
                  f"'Authorization: Bearer <token>' or paste it at /login.", file=sys.stderr)
        elif args.tokens_action == "list":
            rows = await store.tokens()
            for r in rows:
                print(f"{r.name:<24} {r.role:<9} by {r.created_by:<24} created {_when(r.created_at)}  "
                      f"expires {_when(r.expires_at) if r.expires_at else 'never'}  last used {_when(r.last_used_at)}")
            if not rows:
                print("no tokens; make one with: chatops tokens create NAME --role viewer")
        else:
            if not await store.revoke(args.name, me):
                print(f"error: no live token named {args.name!r}", file=sys.stderr)
                return 1
            print(f"revoked {args.name!r} and its browser sessions")
    return 0


async def run_audit(args: argparse.Namespace, settings: Any) -> int:
    from bot.storage.access import AccessStore

    since = None if args.since is None else time.time() - _seconds(args.since)
    async with _engine(settings) as engine:
        count = 0
        async for entry in AccessStore(engine).export(since=since):
            sys.stdout.write(json.dumps(entry.as_json(), ensure_ascii=False) + "\n")
            count += 1
    print(f"{count} audit entries", file=sys.stderr)
    return 0
