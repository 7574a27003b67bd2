"""`chatops keys …`: provider API keys encrypted in the database. The value of `keys set` is read from the
terminal without echo (or one line of stdin), never from the command line, where `ps` and shell history
would keep it; nothing here prints a value."""
from __future__ import annotations

import argparse
import sys
from typing import Any


def add_parser(sub: Any) -> None:
    keys = sub.add_parser("keys", help="provider API keys stored encrypted (CHATOPS_SECRET_KEY)")
    act = keys.add_subparsers(dest="keys_action", required=True)
    act.add_parser("generate", help="print a new secret key for CHATOPS_SECRET_KEY")
    sp = act.add_parser("set", help="store a provider key, read from the terminal without echo (or one line of stdin)")
    sp.add_argument("name", help="provider, e.g. openai, anthropic, gemini")
    act.add_parser("list", help="the stored keys' names and when each was set (never their values)")
    sp = act.add_parser("delete", help="remove a stored key (the environment's value applies again)")
    sp.add_argument("name", help="provider, e.g. openai")
    act.add_parser("rotate", help="re-encrypt every stored key with the first CHATOPS_SECRET_KEY")


def _read_value(name: str) -> str:
    if sys.stdin.isatty():
        import getpass

        return getpass.getpass(f"{name} API key (not shown): ")
    return sys.stdin.readline().rstrip("\r\n")


async def run_keys(args: argparse.Namespace, settings: Any) -> int:
    from bot.app import StartupError
    from bot.keys import SecretKeyError, generate_key

    action = args.keys_action
    if action == "generate":
        print(generate_key())
        return 0
    try:
        return await _with_store(action, getattr(args, "name", None), settings)
    except (SecretKeyError, ValueError) as e:
        raise StartupError(str(e)) from None


async def _with_store(action: str, name: str | None, settings: Any) -> int:
    import time

    from bot.app import prepare_database
    from bot.keys import fernet, setting_for
    from bot.storage.engine import create_engine
    from bot.storage.secrets import SecretStore

    if name is not None:
        setting = setting_for(name).upper()  # an unknown name stops here, before a prompt
    key = fernet(settings.keys) if action in ("set", "rotate") else None
    value = _read_value(name) if action == "set" and name is not None else ""
    if action == "set" and not value:
        print("error: empty key; nothing stored", file=sys.stderr)
        return 1
    engine = create_engine(settings.core.database_url)
    try:
        await prepare_database(engine, settings.core.database_url)
        store = SecretStore(engine, key)
        if action == "set" and name is not None:
            await store.set(name, value)
            print(f"stored {name} (encrypted); it replaces {setting} from the next start")
        elif action == "list":
            rows = await store.list()
            for info in rows:
                print(f"{info.name:<12} set {time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime(info.updated_at))}")
            if not rows:
                print("no stored keys")
        elif action == "delete" and name is not None:
            if not await store.delete(name):
                print(f"no stored key {name}", file=sys.stderr)
                return 1
            print(f"deleted {name}; {setting} from the environment applies from the next start")
        elif action == "rotate":
            print(f"re-encrypted {await store.rotate()} stored key(s) with the first CHATOPS_SECRET_KEY")
    finally:
        await engine.dispose()
    return 0
