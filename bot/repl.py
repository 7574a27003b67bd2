"""The console REPL (`chatops console`, and `chatops run` on a terminal) and one-shot `chatops say`."""
from __future__ import annotations

import asyncio
import getpass
import threading
from pathlib import Path

from bot.adapters.console import ConsoleOutbound
from bot.app import Bot
from bot.intake import Rejected
from bot.storage.models import Status
from commands.model import Conversation, Event

PROMPT = "chatops> "


def console_event(bot: Bot, line: str) -> Event:
    return Event(
        source="console",
        user=f"console:{_user()}",
        conversation=Conversation("console", bot.instance),
        text=line,
        trigger="console",
    )


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "console"


async def say(bot: Bot, console: ConsoleOutbound, line: str, timeout: float) -> int:
    """Run one command and print its reply. Exit code 0 on success, 1 on any error or usage problem."""
    result = await bot.intake.submit(console_event(bot, line), affinity=bot.instance)
    if isinstance(result, Rejected):
        await console.post(Conversation("console", bot.instance), result.reply)
        return 1
    row = await bot.store.wait_finished(result.execution_id, timeout=timeout)
    if row["status"] not in (Status.COMPLETED, Status.FAILED):
        print(f"error: /{result.command} did not finish within {timeout:.0f}s (execution {result.execution_id})")
        return 1
    return 0 if row["status"] == Status.COMPLETED and not console.errors else 1


async def repl(bot: Bot, console: ConsoleOutbound, stop: asyncio.Event, timeout: float) -> None:
    """Read commands until Ctrl-D or `stop`; each answer is printed before the next prompt."""
    lines: asyncio.Queue[str | None] = asyncio.Queue()
    loop = asyncio.get_running_loop()
    history = Path(bot.settings.core.data_dir) / ".console_history"

    def read() -> None:  # a daemon thread, so a pending input() never blocks shutdown
        _enable_history(history)
        while True:
            try:
                line = input(PROMPT)
            except (EOFError, KeyboardInterrupt):
                loop.call_soon_threadsafe(lines.put_nowait, None)
                return
            loop.call_soon_threadsafe(lines.put_nowait, line)
            # wait for the answer before the next prompt so output does not interleave with it
            answered.wait()
            answered.clear()

    answered = threading.Event()
    threading.Thread(target=read, name="console-input", daemon=True).start()
    print("chatops console: type /help for commands, Ctrl-D to quit.")
    try:
        while not stop.is_set():
            getter = asyncio.ensure_future(lines.get())
            stopper = asyncio.ensure_future(stop.wait())
            await asyncio.wait({getter, stopper}, return_when=asyncio.FIRST_COMPLETED)
            stopper.cancel()
            if not getter.done():
                getter.cancel()
                break
            line = getter.result()
            if line is None:
                print()
                break
            if line.strip():
                await _one(bot, console, line, timeout)
            answered.set()
    finally:
        _save_history(history)


async def _one(bot: Bot, console: ConsoleOutbound, line: str, timeout: float) -> None:
    result = await bot.intake.submit(console_event(bot, line), affinity=bot.instance)
    if isinstance(result, Rejected):
        await console.post(Conversation("console", bot.instance), result.reply)
        return
    row = await bot.store.wait_finished(result.execution_id, timeout=timeout)
    if row["status"] not in (Status.COMPLETED, Status.FAILED):
        print(f"(/{result.command} is still running as execution {result.execution_id}; its answer will follow)")


def _enable_history(path: Path) -> None:
    try:
        import readline
    except ImportError:  # not on every platform; the REPL works without history
        return
    try:
        readline.read_history_file(path)
    except OSError:
        pass
    readline.set_history_length(1000)


def _save_history(path: Path) -> None:
    try:
        import readline

        path.parent.mkdir(parents=True, exist_ok=True)
        readline.write_history_file(path)
    except (ImportError, OSError):
        pass
