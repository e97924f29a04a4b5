"""The ``docs`` and ``doc_channels`` rows of a write batch: kept in memory while the batch
writes (it may carry several revisions of one document), written once at its end."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

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
    winner_body: dict[str, Any] | None = None  # None when the winner is a deletion


@dataclass(frozen=True)
class WinnerChange:
    """A document whose winning revision a write changed, as a projection is told."""

    doc_id: str
    body: dict[str, Any] | None  # the new winner's body; None: deleted, or purged


# Kept in the write's own transaction: a table derived from documents (the materials
# ledger's balances) is never behind them, however the documents arrived.
Projection = Callable[[sqlite_utils.Database, list[WinnerChange]], None]


def winner_changes(
    before: dict[str, DocRow | None], updates: list[RowUpdate]
) -> list[WinnerChange]:
    """The documents of a batch whose winner is not the one they had before it."""
    last = {u.row.id: u for u in updates}
    changes = []
    for doc_id, update in last.items():
        old = before.get(doc_id)
        if old is not None and (old.winner, old.deleted) == (update.row.winner, update.row.deleted):
            continue  # a conflict branch that did not win: the winner is the same body
        changes.append(WinnerChange(doc_id, update.winner_body))
    return changes


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
