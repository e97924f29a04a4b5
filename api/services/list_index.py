"""The index behind the lists of products and orders, the review queue's counts and the
coordinators' digest: what each channel holds, by type, status and category, in change
order.

The lists are the changes feed of the caller's channels filtered by type and status:
read through the feed, a coordinator's ``?status=submitted`` walked every document of
her cooperatives and parsed each body (1.6 s with 53,000 documents). They now read one
table, ``list_index``: a row per document and channel, exactly the store's channel
index (``doc_channels``: channel, document, sequence, removed) with the winner's
``kind`` (its ``type``), ``status`` and ``category`` beside it, plus a row in channel
``*`` for admins, who read every document. A page is a merge of index ranges (per
channel: the status asked for, and the rows that went, status NULL, for tombstones) in
sequence order, then the bodies of the documents it returns: it costs the same with
100,000 documents as with 1,000 (bench/lists.py). The counts the review queue shows are
kept in ``list_counts`` as the rows change.

Why a projection kept from the changes feed, and not
- expression indexes on ``json_extract`` of the bodies: ``revs`` holds every revision
  (not only winners) and no sequence, and the channels are in another table: no index
  on it can give "this channel's submitted products, in change order", so a page would
  still sort or filter every match;
- a table written by the store in the same transaction: the store would have to learn
  Hirfa's document fields, or grow a hook that every write path, purge and migration
  must honour, to save lists a catch-up that costs nothing when nothing changed and
  about 30 µs per changed document otherwise.

So it is kept like the catalogue (api/services/catalog.py), a CouchDB view: ``follow``
reads the documents changed since its checkpoint and rewrites their rows with one
statement per batch, from the store's own channel rows, before each list read (and in
each dispatcher pass, api/workers.py). A list then reads in one snapshot where the
index has caught up with the store (``reading``), so its cursor never passes a change
the index has not seen. Tables: api/schema_steps.py, version 11. The query plans are
checked by tests/api/test_list_plans.py; the pages against the changes feed by
tests/api/test_list_index.py.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import sqlite_utils

from sync.store.database import read_snapshot, write_transaction
from sync.store.doc_rows import DocRow
from sync.store.documents import DocumentStore

EVERYONE = "*"  # the channel whose rows hold every document (admins read it)
BATCH = 2000  # documents per transaction when catching up
# One page is one compound SELECT; SQLite allows 500 arms (SQLITE_MAX_COMPOUND_SELECT).
MAX_ARMS = 200

# A filter on the rows of one channel and kind: (condition, parameters). The indexes
# (api/schema_steps.py): list_index_kind (channel, kind, seq, category) and
# list_index_status (channel, kind, status, seq, category). A status is a range in
# change order; a category is checked on the index entries as the range is read (not a
# range of its own: two more indexes would double the index's size for a filter the
# lists rarely get), so the table is not read either way.
Arm = tuple[str, list]
ALL: Arm = ("", [])
GONE: Arm = ("status IS NULL", [])  # deleted, or removed from the channel


def with_status(status: str) -> Arm:
    return ("status = ?", [status])


def with_category(category: str) -> Arm:
    return ("category = ?", [category])


def with_status_and_category(status: str, category: str) -> Arm:
    return ("status = ? AND category = ?", [status, category])


# The rows of the documents changed in (since, upto]: one per channel row of the store,
# and one in EVERYONE. A deleted document, or a channel it left, has no status or
# category. A bare tombstone has no type: the document keeps the kind it had.
_REWRITE = f"""
WITH changed AS (
    SELECT d.id, d.seq, d.deleted,
           coalesce(
               json_extract(r.body, '$.type'),
               (SELECT kind FROM list_index WHERE channel = '{EVERYONE}' AND doc_id = d.id),
               (SELECT json_extract(o.body, '$.type') FROM revs o
                WHERE o.doc_id = d.id AND json_extract(o.body, '$.type') IS NOT NULL LIMIT 1)
           ) AS kind,
           json_extract(r.body, '$.status') AS status,
           json_extract(r.body, '$.category') AS category
    FROM docs d LEFT JOIN revs r ON r.doc_id = d.id AND r.rev = d.winner
    WHERE d.seq > :since AND d.seq <= :upto
)
INSERT OR REPLACE INTO list_index (channel, doc_id, seq, kind, status, category)
SELECT '{EVERYONE}', id, seq, kind,
       CASE WHEN deleted THEN NULL ELSE status END,
       CASE WHEN deleted THEN NULL ELSE category END
FROM changed
UNION ALL
SELECT c.channel, x.id, c.seq, x.kind,
       CASE WHEN x.deleted OR c.removed THEN NULL ELSE x.status END,
       CASE WHEN x.deleted OR c.removed THEN NULL ELSE x.category END
FROM changed x JOIN doc_channels c ON c.doc_id = x.id
"""

# The counted rows (live, typed) of the documents changed in (since, upto]: in EVERYONE
# and in the store's channels of each (the index has no channel the store has not).
# CROSS JOIN keeps SQLite reading from the changed documents, not from the index.
_COUNTED = f"""
SELECT channel, kind, status, count(*) FROM (
    SELECT l.channel, l.kind, l.status FROM docs d
    CROSS JOIN list_index l ON l.channel = '{EVERYONE}' AND l.doc_id = d.id
    WHERE d.seq > :since AND d.seq <= :upto
    UNION ALL
    SELECT l.channel, l.kind, l.status FROM docs d
    CROSS JOIN doc_channels c ON c.doc_id = d.id
    CROSS JOIN list_index l ON l.channel = c.channel AND l.doc_id = d.id
    WHERE d.seq > :since AND d.seq <= :upto
)
WHERE kind IS NOT NULL AND status IS NOT NULL
GROUP BY channel, kind, status
"""


def _checkpoint(db: sqlite_utils.Database) -> int:
    return db.execute("SELECT value FROM list_index_state WHERE key = 'seq'").fetchone()[0]


def _update_seq(db: sqlite_utils.Database) -> int:
    return db.execute("SELECT value FROM store_meta WHERE key = 'update_seq'").fetchone()[0]


def follow(db: sqlite_utils.Database) -> int:
    """Bring the index up to date with the store; returns the sequence it is at."""
    while True:
        since = _checkpoint(db)
        if since >= _update_seq(db):  # the common case, without the write lock
            return since
        with write_transaction(db):
            if _checkpoint(db) != since:
                continue  # another request followed them
            last = db.execute(
                "SELECT seq FROM docs WHERE seq > ? ORDER BY seq LIMIT 1 OFFSET ?",
                [since, BATCH - 1],
            ).fetchone()
            # All changed documents seen: up to the store's sequence (a purge can move it
            # past the last document's).
            upto = last[0] if last else _update_seq(db)
            span = {"since": since, "upto": upto}
            before = _counts_of(db, span)
            db.execute(_REWRITE, span)
            _add_counts(db, before, _counts_of(db, span))
            db.execute("UPDATE list_index_state SET value = ? WHERE key = 'seq'", [upto])


def _counts_of(db: sqlite_utils.Database, span: dict) -> dict[tuple, int]:
    return {tuple(row[:3]): row[3] for row in db.execute(_COUNTED, span)}


def _add_counts(db: sqlite_utils.Database, before: dict, after: dict) -> None:
    changes = [
        (*key, after.get(key, 0) - before.get(key, 0))
        for key in before.keys() | after.keys()
        if after.get(key, 0) != before.get(key, 0)
    ]
    db.conn.executemany(
        "INSERT INTO list_counts (channel, kind, status, n) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (channel, kind, status) DO UPDATE SET n = n + excluded.n",
        changes,
    )


@contextmanager
def reading(store: DocumentStore) -> Iterator[int]:
    """A read snapshot in which the index has caught up with the store; yields the
    sequence both are at (a list's cursor once it has read everything)."""
    db = store.db
    for _ in range(3):
        follow(db)
        with read_snapshot(db):
            seq = _checkpoint(db)
            if seq == store.update_seq():
                yield seq
                return
    # Writers keep landing between the two: follow and read under the write lock.
    with write_transaction(db):
        yield follow(db)


@dataclass
class Entry:
    """A document's latest change visible to the reader, after the cursor."""

    id: str
    seq: int
    row: DocRow
    gone: bool  # deleted, or no longer in the reader's channels (a removal)


def walk(
    store: DocumentStore,
    visible: set[str] | None,
    kind: str,
    since: int,
    arms: Sequence[Arm],
    chunk: int = 50,
) -> Iterator[Entry]:
    """The documents of ``kind`` in ``visible`` (None: all) whose rows match one of the
    ``arms``, each once, at its latest visible change after ``since``, in change order,
    as the changes feed would give them. Call inside ``reading``."""
    channels = [EVERYONE] if visible is None else sorted(visible)
    if not channels or not arms:
        return
    seen: set[str] = set()
    cursor = since
    while True:
        found = _candidates(store.db, channels, kind, arms, cursor, chunk)
        rows = store.rows(list({doc_id for doc_id, _ in found} - seen))
        for doc_id, seq in found:
            cursor = seq
            row = rows.get(doc_id)
            if doc_id in seen or row is None:  # seen in another arm, or purged
                continue
            shown = visible is None or bool(visible & row.channels)
            if seq != (row.seq if shown else _removed_at(store.db, doc_id, channels)):
                continue  # an older row (a channel it left): it comes at its latest change
            seen.add(doc_id)
            yield Entry(doc_id, seq, row, gone=row.deleted or not shown)
        if len(found) < chunk:
            return
        chunk = min(chunk * 2, 1000)


def _candidates(
    db: sqlite_utils.Database,
    channels: list[str],
    kind: str,
    arms: Sequence[Arm],
    since: int,
    limit: int,
) -> list[tuple[str, int]]:
    """Up to ``limit`` index rows after ``since`` in sequence order: one index range per
    channel and arm, merged by SQLite (MERGE (UNION ALL)), so no more rows are read
    than returned."""
    parts, params = [], []
    if len(channels) * len(arms) > MAX_ARMS:  # correct, but sorts every match
        marks = ",".join("?" * len(channels))
        for condition, args in arms:
            parts.append(
                f"SELECT doc_id, seq FROM list_index WHERE channel IN ({marks}) AND kind = ? "
                f"{'AND ' + condition if condition else ''} AND seq > ?"
            )
            params += [*channels, kind, *args, since]
    else:
        for channel in channels:
            for condition, args in arms:
                parts.append(
                    "SELECT doc_id, seq FROM list_index WHERE channel = ? AND kind = ? "
                    f"{'AND ' + condition if condition else ''} AND seq > ?"
                )
                params += [channel, kind, *args, since]
    sql = " UNION ALL ".join(parts) + " ORDER BY seq LIMIT ?"
    return [(r[0], r[1]) for r in db.execute(sql, [*params, limit]).fetchall()]


def _removed_at(db: sqlite_utils.Database, doc_id: str, channels: list[str]) -> int:
    """The latest change of a document the reader no longer sees: when it left the last
    of the reader's channels it was in."""
    marks = ",".join("?" * len(channels))
    return db.execute(
        f"SELECT max(seq) FROM list_index WHERE doc_id = ? AND channel IN ({marks})",
        [doc_id, *channels],
    ).fetchone()[0]


def changed_after(store: DocumentStore, visible: set[str] | None, seq: int) -> bool:
    """Whether the reader's changes feed has anything after ``seq`` (of any type: what
    the lists' ``more`` has always said)."""
    if visible is None:
        sql, params = "SELECT 1 FROM docs WHERE seq > ? LIMIT 1", [seq]
    elif not visible:
        return False
    else:
        marks = ",".join("?" * len(visible))
        sql = f"SELECT 1 FROM doc_channels WHERE channel IN ({marks}) AND seq > ? LIMIT 1"
        params = [*sorted(visible), seq]
    return store.db.execute(sql, params).fetchone() is not None


def counts(db: sqlite_utils.Database, channels: list[str], kind: str) -> dict[str, int]:
    """How many live documents of ``kind`` the channels hold, per status (a document in
    several of them counts in each). Call inside ``reading``."""
    if not channels:
        return {}
    marks = ",".join("?" * len(channels))
    return {
        status: n
        for status, n in db.execute(
            f"SELECT status, sum(n) FROM list_counts WHERE channel IN ({marks}) AND kind = ? "
            "GROUP BY status HAVING sum(n) > 0",
            [*channels, kind],
        )
    }
