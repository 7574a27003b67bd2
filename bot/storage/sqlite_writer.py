"""One sqlite3 connection on its own thread for the inserts on the acknowledgement path.

Through SQLAlchemy and aiosqlite a transaction is a dozen hops between the event loop and aiosqlite's
thread (pool checkout, BEGIN, execute, fetch, COMMIT, reset), ~1.6 ms of Python per transaction,
which put the cost of storing a slash command above the cost of serving it. Here a whole transaction is
one function run on the writer thread: one hop there, one back, and SQLite's C code runs with the GIL
released. Only the hot inserts come this way; everything else stays on the engine.

All writes of this process to the file (these and the Store's engine transactions) take `lock`, so they
queue in the loop instead of meeting SQLite's busy handler, whose sleeps are far longer than a write.
"""
from __future__ import annotations

import asyncio
import sqlite3
import threading
import weakref
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncEngine

R = TypeVar("R")

_WRITERS: weakref.WeakKeyDictionary[object, SQLiteWriter] = weakref.WeakKeyDictionary()


class SQLiteWriter:
    def __init__(self, path: str) -> None:
        self.path = path
        self.lock = asyncio.Lock()
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite-writer")
        self._local = threading.local()
        self._closed = False

    def _connection(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            # autocommit mode: the transaction is opened explicitly below (BEGIN IMMEDIATE takes the
            # write lock up front, so it never has to be upgraded half-way and fail)
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA foreign_keys=ON")
            self._local.conn = conn
        return conn

    def _transaction(self, work: Callable[[sqlite3.Connection], R]) -> R:
        conn = self._connection()
        conn.execute("BEGIN IMMEDIATE")
        try:
            result = work(conn)
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
        return result

    async def transaction(self, work: Callable[[sqlite3.Connection], R]) -> R:
        """Run `work(conn)` in one committed transaction on the writer thread; its exception rolls back."""
        if self._closed:
            raise RuntimeError("the SQLite writer is closed")
        async with self.lock:
            return await asyncio.get_running_loop().run_in_executor(self._executor, self._transaction, work)

    def _close_connection(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    async def aclose(self) -> None:
        if self._closed:
            return
        self._closed = True
        async with self.lock:
            await asyncio.get_running_loop().run_in_executor(self._executor, self._close_connection)
        self._executor.shutdown(wait=True)


def writer_for(engine: AsyncEngine) -> SQLiteWriter | None:
    """The one writer of this engine's SQLite file (made on first use), or None for PostgreSQL or a
    database that lives only in memory."""
    if engine.dialect.name != "sqlite":
        return None
    path = engine.url.database
    if not path or path == ":memory:" or path.startswith("file:"):
        return None
    writer = _WRITERS.get(engine.sync_engine)
    if writer is None or writer._closed:
        writer = _WRITERS[engine.sync_engine] = SQLiteWriter(path)
    return writer
