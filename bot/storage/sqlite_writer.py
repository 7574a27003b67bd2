"""One sqlite3 connection on its own thread for the inserts on the acknowledgement path.

Through SQLAlchemy and aiosqlite a transaction is a dozen hops between the event loop and aiosqlite's
thread (pool checkout, BEGIN, execute, fetch, COMMIT, reset), ~1.6 ms of Python per transaction,
which put the cost of storing a slash command above the cost of serving it. Here a whole transaction is
one function run on the writer thread: one hop there, one back, and SQLite's C code runs with the GIL
released. Only the hot inserts come this way; everything else stays on the engine.

The writer's own commits never checkpoint (copying the WAL into the database and fsyncing takes
milliseconds); a second thread runs a PASSIVE checkpoint at most once a second while writes come in.

All writes of this process to the file (these and the Store's engine transactions) take `lock`, so they
queue in the loop instead of meeting SQLite's busy handler, whose sleeps are far longer than a write.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
import threading
import time
import weakref
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

R = TypeVar("R")
log = logging.getLogger("chatops.storage")
CHECKPOINT_EVERY = 1.0  # seconds between checkpoints while writes keep coming

_WRITERS: weakref.WeakKeyDictionary[object, SQLiteWriter] = weakref.WeakKeyDictionary()


class SQLiteWriter:
    def __init__(self, path: str) -> None:
        self.path = path
        self.lock = asyncio.Lock()
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite-writer")
        self._checkpointer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite-checkpoint")
        self._local = threading.local()  # each thread its own connection
        self._last_checkpoint = time.monotonic()
        self._checkpointing = False
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
            # No checkpoint inside these commits (it copies the WAL into the database and fsyncs, several
            # ms); `_checkpoint` runs one beside the writer instead.
            conn.execute("PRAGMA wal_autocheckpoint=0")
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
        now = time.monotonic()
        if now - self._last_checkpoint >= CHECKPOINT_EVERY and not self._checkpointing:
            self._last_checkpoint, self._checkpointing = now, True
            self._checkpointer.submit(self._checkpoint)
        return result

    def _checkpoint(self) -> None:
        """Copy committed WAL frames into the database (PASSIVE: never blocks the writer or readers)."""
        try:
            conn = getattr(self._local, "conn", None)
            if conn is None:
                conn = self._local.conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        except sqlite3.Error as e:  # the next one retries; the engine's connections checkpoint too
            log.warning("sqlite checkpoint failed: %s", e)
        finally:
            self._checkpointing = False

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
            loop = asyncio.get_running_loop()
            await loop.run_in_executor(self._executor, self._close_connection)
            await loop.run_in_executor(self._checkpointer, self._checkpoint)
            await loop.run_in_executor(self._checkpointer, self._close_connection)
        self._executor.shutdown(wait=True)
        self._checkpointer.shutdown(wait=True)


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


@contextlib.asynccontextmanager
async def write_transaction(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A transaction that writes: on SQLite queued behind the hot writer's lock rather than meeting
    SQLite's busy handler; on PostgreSQL a plain `engine.begin()`."""
    writer = writer_for(engine)
    async with (writer.lock if writer else contextlib.nullcontext()), engine.begin() as conn:
        yield conn
