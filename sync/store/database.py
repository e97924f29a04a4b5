"""The SQLite connection: pragmas, write transactions, and errors wrapped at the boundary."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlite_utils


class StorageError(Exception):
    """The store could not do what was asked (disk full, corrupt file, locked too long)."""


class StoreBusy(StorageError):
    """Another writer held the store for longer than the busy timeout."""


class ConstraintViolation(StorageError):
    """A uniqueness or foreign-key rule of the schema refused the write."""


BUSY_TIMEOUT_MS = 10_000


def connect(path: str | Path) -> sqlite_utils.Database:
    """Open one connection (one per thread: a connection is never shared across threads).

    ``synchronous=FULL`` with WAL: a write the server acknowledged to a phone survives a
    power cut. NORMAL could lose the last commits, and the phone would already have
    forgotten them (https://www.sqlite.org/pragma.html#pragma_synchronous).
    """
    path = str(path)
    if path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    try:
        # isolation_level=None: we issue BEGIN IMMEDIATE ourselves (see write_transaction).
        conn = sqlite3.connect(
            path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=False
        )
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute("PRAGMA foreign_keys = ON")
    except sqlite3.Error as exc:
        raise StorageError(f"cannot open the store at {path}: {exc}") from exc
    db = sqlite_utils.Database(conn)
    if path != ":memory:":
        db._hirfa_writers = _writers_of(path)  # type: ignore[attr-defined]
    return db


# One queue of writers per store file in this process. SQLite lets one writer in at a
# time and makes the others retry in its busy handler, which sleeps in growing steps (up
# to 100 ms): under a burst of phones pushing, a writer often sleeps long after the lock
# was freed, and that is the p99. Waiting on a Python lock first hands the store to the
# next writer the moment the last one commits; writers in other processes (the dispatcher,
# the replicator) still meet SQLite's own lock and busy timeout.
_writer_locks: dict[str, threading.RLock] = {}
_writer_locks_guard = threading.Lock()


def _writers_of(path: str) -> threading.RLock:
    key = str(Path(path).resolve())
    with _writer_locks_guard:
        return _writer_locks.setdefault(key, threading.RLock())


_savepoints = threading.local()
# connection id -> what to run once its outermost transaction has committed
_after_commit: dict[int, list[Callable[[], None]]] = {}


def after_commit(db: sqlite_utils.Database, callback: Callable[[], None]) -> None:
    """Run ``callback`` once what was written is committed (at once outside a transaction);
    never if it rolls back. Longpolls woken before the commit would read nothing, or spin
    on a sequence that never comes."""
    pending = _after_commit.get(id(db.conn))
    if pending is None:
        callback()
    else:
        pending.append(callback)


@contextmanager
def write_transaction(db: sqlite_utils.Database) -> Iterator[sqlite_utils.Database]:
    """One atomic write; nested calls become savepoints.

    BEGIN IMMEDIATE takes the write lock up front: a deferred transaction that reads
    and then writes fails with "database is locked" when another writer got in between.
    """
    conn = db.conn
    try:
        if conn.in_transaction:
            depth = getattr(_savepoints, "depth", 0) + 1
            _savepoints.depth = depth
            name = f"sp_{depth}"
            conn.execute(f"SAVEPOINT {name}")
            try:
                yield db
            except BaseException:
                if conn.in_transaction:
                    conn.execute(f"ROLLBACK TO SAVEPOINT {name}")
                    conn.execute(f"RELEASE SAVEPOINT {name}")
                raise
            else:
                conn.execute(f"RELEASE SAVEPOINT {name}")
            finally:
                _savepoints.depth = depth - 1
            return
        writers = getattr(db, "_hirfa_writers", None)
        if writers is not None and not writers.acquire(timeout=BUSY_TIMEOUT_MS / 1000):
            raise StoreBusy("the store is busy; retry shortly")
        try:
            conn.execute("BEGIN IMMEDIATE")
            callbacks: list[Callable[[], None]] = []
            _after_commit[id(conn)] = callbacks
            try:
                try:
                    yield db
                except BaseException:
                    if conn.in_transaction:
                        conn.execute("ROLLBACK")
                    raise
                conn.execute("COMMIT")
            finally:
                _after_commit.pop(id(conn), None)
        finally:
            if writers is not None:
                writers.release()
        for callback in callbacks:
            callback()
    except sqlite3.OperationalError as exc:
        if "locked" in str(exc) or "busy" in str(exc):
            raise StoreBusy("the store is busy; retry shortly") from exc
        raise StorageError(str(exc)) from exc
    except sqlite3.DatabaseError as exc:
        if isinstance(exc, sqlite3.IntegrityError):
            raise ConstraintViolation(str(exc)) from exc
        raise StorageError(str(exc)) from exc


@contextmanager
def read_snapshot(db: sqlite_utils.Database) -> Iterator[sqlite_utils.Database]:
    """Several reads that see one state of the store (a deferred read transaction in WAL:
    a write committing meanwhile is not half-seen). Inside a transaction: that one."""
    if db.conn.in_transaction:
        yield db
        return
    db.conn.execute("BEGIN")
    try:
        yield db
    finally:
        if db.conn.in_transaction:
            db.conn.execute("COMMIT")


class ConnectionPool:
    """Idle connections kept open between requests.

    Opening costs a connect and four PRAGMAs, and closing the last connection of a WAL
    database checkpoints and syncs it: keeping a few open makes a small request several
    times cheaper. A connection is used by one thread at a time. ``keep`` is as many as
    production serves requests with (gunicorn's 64 threads, docs/operations.md): with
    fewer, a burst of requests (PouchDB fetching attachments ~50 at a time) closes the
    surplus on release and opens it again on the next burst.
    """

    def __init__(self, path: str | Path, keep: int = 64):
        self.path = path
        self.keep = keep
        self._idle: list[sqlite_utils.Database] = []
        self._lock = threading.Lock()

    def acquire(self) -> sqlite_utils.Database:
        with self._lock:
            if self._idle:
                return self._idle.pop()
        return connect(self.path)

    def release(self, db: sqlite_utils.Database) -> None:
        if db.conn.in_transaction:  # a request that died mid-write must not leak its lock
            db.conn.rollback()
        with self._lock:
            if len(self._idle) < self.keep:
                self._idle.append(db)
                return
        db.close()

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for db in idle:
            db.close()


def fetch_all(db: sqlite_utils.Database, sql: str, params: list | tuple = ()) -> list[dict]:
    """Rows as dicts with one plain statement (sqlite-utils' ``query`` wraps each read in a
    savepoint: three statements where one does)."""
    cursor = db.execute(sql, params)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def server_uuid(db: sqlite_utils.Database) -> str:
    """This store's uuid (migration-made; a restored backup gets a new one), "" if none."""
    row = db.execute("SELECT value FROM server_info WHERE key = 'uuid'").fetchone()
    return row[0] if row else ""


def run_script(db: sqlite_utils.Database, script: str) -> None:
    """Run DDL statements one by one: ``executescript`` would COMMIT our transaction."""
    statement = ""
    for line in script.splitlines(keepends=True):
        statement += line
        if sqlite3.complete_statement(statement):
            db.execute(statement)
            statement = ""
    if statement.strip():
        raise ValueError(f"incomplete SQL statement: {statement!r}")
