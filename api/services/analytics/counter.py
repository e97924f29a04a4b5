"""The view counter: an in-memory buffer the requests add to, written every few seconds.

``record`` is all a request pays: the user agent read, the visitor hashed (the day's
salt is in memory; the store is asked for it once a day), then a few dictionary updates
under a lock. ``flush`` swaps the buffer for an empty one and writes what it held in one
write transaction: the views and previews summed per (day, kind, target, source) into
``page_views``, and the visitors not seen yet today into ``view_visitors``, each adding
one to the ``visitors`` of the source it first came by. A background thread flushes
every ``HIRFA_COUNTS_FLUSH_SECONDS`` and once more when stopped (``api/workers.py``;
under another WSGI server it starts with the first view and flushes at exit). A crash
loses what was buffered since the last flush, a few seconds of counts; the store is
only ever written in whole transactions. A flush that fails puts its counts back.

Visitors per row: a visitor counts once per page and day, in the row of the source of
their first view that day, so ``SUM(visitors)`` over a page's sources is the page's
unique visitors; summed over several pages, a person who saw two pages counts twice.
"""

from __future__ import annotations

import atexit
import logging
import threading
import time
from collections import Counter
from collections.abc import Callable

import sqlite_utils

from sync.store.database import write_transaction

from . import bots
from .visitors import DailySalt, utc_day, visitor_hash

log = logging.getLogger("hirfa.analytics")

KINDS = ("product", "cooperative", "catalog")
TARGET_MAX = 200  # HIRFA_SYNC_MAX_ID_LENGTH's default: no longer id exists
# Distinct rows one flush may hold: beyond it (a flood of made-up targets) views are
# dropped, and counted in ``dropped``, rather than memory grown without bound.
MAX_KEYS = 50_000
# Visitors already written today, remembered to spare the store their INSERT; cleared
# when full (the store's primary key is what decides, this only saves work).
KNOWN_MAX = 200_000

UPSERT = """
INSERT INTO page_views (day, kind, target, source, views, previews, visitors)
VALUES (?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (day, kind, target, source) DO UPDATE SET
    views = views + excluded.views,
    previews = previews + excluded.previews,
    visitors = visitors + excluded.visitors
"""

Key = tuple[str, str, str, str]  # day, kind, target, source
Page = tuple[str, str, str]  # day, kind, target


class ViewCounter:
    def __init__(
        self,
        open_db: Callable[[], sqlite_utils.Database],
        *,
        enabled: bool = True,
        flush_seconds: float = 5.0,
        autostart: bool = False,
        clock: Callable[[], float] = time.time,
    ):
        self.enabled = enabled
        self.flush_seconds = flush_seconds
        self.autostart = autostart
        self.clock = clock
        self.dropped = 0
        self._open_db = open_db
        self._salt = DailySalt(open_db)
        self._lock = threading.Lock()
        self._counts: dict[Key, list[int]] = {}  # [views, previews]
        self._visitors: dict[Page, dict[bytes, str]] = {}  # visitor -> first source
        self._known: set[tuple[str, str, bytes]] = set()
        self._known_day = ""
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._flush_lock = threading.Lock()  # one flush at a time, thread or caller

    # --- the hot path -------------------------------------------------------------------

    def record(
        self,
        kind: str,
        target: str,
        *,
        source: str,
        address: str | None,
        user_agent: str | None,
    ) -> str | None:
        """Count one successful GET of a page; returns what it counted (bots.VIEW,
        bots.PREVIEW) or None (counting off, a robot, a refused target)."""
        if not self.enabled or kind not in KINDS or len(target) > TARGET_MAX:
            return None
        what = bots.classify(user_agent)
        if what == bots.BOT:
            return None
        day = utc_day(self.clock())
        visitor = None
        if what == bots.VIEW:
            try:
                salt = self._salt.for_day(day)
            except Exception:  # a busy store at midnight: the view counts, not the visitor
                log.exception("the day's salt for counting visitors")
                salt = None
            if salt is not None:
                visitor = visitor_hash(salt, address, user_agent)
        key = (day, kind, target, source)
        with self._lock:
            counts = self._counts.get(key)
            if counts is None:
                if len(self._counts) >= MAX_KEYS:
                    self.dropped += 1
                    return None
                counts = self._counts[key] = [0, 0]
            counts[0 if what == bots.VIEW else 1] += 1
            if visitor is not None:
                if self._known_day != day:
                    self._known.clear()
                    self._known_day = day
                mark = (kind, target, visitor)
                if mark not in self._known:
                    if len(self._known) >= KNOWN_MAX:
                        self._known.clear()
                    self._known.add(mark)
                    self._visitors.setdefault((day, kind, target), {}).setdefault(visitor, source)
        if self.autostart and self._thread is None:
            self.start()
        return what

    # --- writing ------------------------------------------------------------------------

    def pending(self) -> int:
        """Rows waiting for the next flush."""
        with self._lock:
            return len(self._counts)

    def flush(self, db: sqlite_utils.Database | None = None) -> int:
        """Write what is buffered in one transaction (on ``db``, or a connection of its
        own); returns the rows written. Raises if the store refuses, the counts kept."""
        with self._flush_lock:
            with self._lock:
                counts, visitors = self._counts, self._visitors
                self._counts, self._visitors = {}, {}
            if not counts:
                return 0
            conn = db if db is not None else self._open_db()
            try:
                self._write(conn, counts, visitors)
            except BaseException:
                self._put_back(counts, visitors)
                raise
            finally:
                if db is None:
                    conn.close()
            return len(counts)

    def _write(
        self,
        db: sqlite_utils.Database,
        counts: dict[Key, list[int]],
        visitors: dict[Page, dict[bytes, str]],
    ) -> None:
        today = utc_day(self.clock())
        with write_transaction(db):
            sql = db.conn.execute
            new: Counter[Key] = Counter()
            for (day, kind, target), seen in visitors.items():
                for visitor, source in seen.items():
                    written = sql(
                        "INSERT OR IGNORE INTO view_visitors (day, kind, target, visitor)"
                        " VALUES (?, ?, ?, ?)",
                        (day, kind, target, visitor),
                    )
                    if written.rowcount == 1:
                        new[(day, kind, target, source)] += 1
            db.conn.executemany(
                UPSERT,
                [(*key, views, previews, new[key]) for key, (views, previews) in counts.items()],
            )
            # Yesterday's visitors are forgotten with the first flush of today (their
            # salt went when today's was made, visitors.DailySalt).
            sql("DELETE FROM view_visitors WHERE day < ?", (today,))

    def _put_back(
        self, counts: dict[Key, list[int]], visitors: dict[Page, dict[bytes, str]]
    ) -> None:
        with self._lock:
            for key, (views, previews) in counts.items():
                mine = self._counts.get(key)
                if mine is None:
                    if len(self._counts) >= MAX_KEYS:
                        self.dropped += views + previews
                        continue
                    mine = self._counts[key] = [0, 0]
                mine[0] += views
                mine[1] += previews
            for page, seen in visitors.items():
                mine_seen = self._visitors.setdefault(page, {})
                for visitor, source in seen.items():
                    mine_seen.setdefault(visitor, source)

    # --- the background thread ----------------------------------------------------------

    def start(self) -> ViewCounter:
        """Flush every ``flush_seconds`` in a daemon thread, and at exit."""
        with self._lock:
            if self._thread is not None or not self.enabled:
                return self
            self._stopping.clear()
            self._thread = threading.Thread(
                target=self._run, name="hirfa-view-counter", daemon=True
            )
        self._thread.start()
        atexit.register(self.stop)
        return self

    def _run(self) -> None:
        while not self._stopping.wait(self.flush_seconds):
            self._flush_logged()

    def _flush_logged(self) -> None:
        try:
            self.flush()
        except Exception:  # kept in the buffer: the next flush tries again
            log.exception("writing the page view counts")

    def stop(self) -> None:
        """Stop the thread and write what is left."""
        thread = self._thread
        if thread is not None:
            self._stopping.set()
            thread.join(timeout=max(self.flush_seconds, 1) + 10)
            self._thread = None
            atexit.unregister(self.stop)
        self._flush_logged()
