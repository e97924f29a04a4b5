"""The ``docs`` and ``doc_channels`` rows of a write batch: kept in memory while the batch
writes (it may carry several revisions of one document), written once at its end."""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlite_utils

from sync.store import revtree


@dataclass
class DocRow:
    id: str
    seq: int
    tree: revtree.Tree
    winner: str
    deleted: bool
    channels: set[str]


@dataclass
class RowUpdate:
    """What one written revision does to the ``docs`` and ``doc_channels`` tables."""

    row: DocRow
    params: tuple
    channel_rows: list[tuple[str, str, int, int]]


@dataclass
class Batch:
    """The rows of a batch's documents as the batch has left them, and what to flush."""

    rows: dict[str, DocRow | None]
    seq: int
    updates: list[RowUpdate] = field(default_factory=list)

    def apply(self, update: RowUpdate) -> None:
        self.rows[update.row.id] = update.row
        self.seq = update.row.seq
        self.updates.append(update)


def write_rows(db: sqlite_utils.Database, updates: list[RowUpdate]) -> None:
    """The ``docs`` and ``doc_channels`` rows of these updates, in the order they were made."""
    db.conn.executemany(
        "INSERT OR REPLACE INTO docs (id, seq, tree, winner, deleted, channels) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        [u.params for u in updates],
    )
    # A channel the document left gets a removal row, so the feed of a user who
    # could see it tells the phone to drop it (Sync Gateway's "removed").
    db.conn.executemany(
        "INSERT OR REPLACE INTO doc_channels (channel, doc_id, seq, removed) VALUES (?, ?, ?, ?)",
        [r for u in updates for r in u.channel_rows],
    )
