"""Revision trees with CouchDB semantics, as pure functions over plain dicts.

A tree maps a revision id ("N-hash") to its Node. Roots have parent None; after stemming
(revs_limit) a tree can be a forest. No function here mutates its argument.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import islice, pairwise
from typing import Any


@dataclass(frozen=True, slots=True)
class Node:
    parent: str | None
    deleted: bool


Tree = dict[str, Node]


class InvalidRev(ValueError):
    """A revision id, revision path or `_revisions` object that is not well formed."""


# ASCII digits and no leading zero, so a revision has one spelling ("03-a" would be "3-a").
_POSITION = re.compile(r"[1-9][0-9]*")


def parse_rev(rev: str) -> tuple[int, str]:
    """Split "3-abc" into (3, "abc"); the hash may contain dashes, as in CouchDB."""
    if not isinstance(rev, str):
        raise InvalidRev(f"revision must be a string, not {type(rev).__name__}")
    pos, dash, rev_hash = rev.partition("-")
    if not dash or not rev_hash or not _POSITION.fullmatch(pos):
        raise InvalidRev(f"invalid revision {rev!r}")
    return int(pos), rev_hash


def path_from_revisions(revisions: dict) -> list[str]:
    """Full revision ids, newest first, from CouchDB's `{"start": N, "ids": [hN, ...]}`."""
    if not isinstance(revisions, dict):
        raise InvalidRev("_revisions must be an object")
    start, ids = revisions.get("start"), revisions.get("ids")
    # bool is an int in Python, but `true` is no revision position.
    if isinstance(start, bool) or not isinstance(start, int):
        raise InvalidRev("_revisions.start must be an integer")
    if not isinstance(ids, list) or not ids:
        raise InvalidRev("_revisions.ids must be a non-empty list")
    if start < len(ids):
        raise InvalidRev("_revisions lists more ids than its start allows")
    if not all(isinstance(rev_hash, str) and rev_hash for rev_hash in ids):
        raise InvalidRev("_revisions.ids must be non-empty strings")
    return [f"{start - i}-{rev_hash}" for i, rev_hash in enumerate(ids)]


def merge_path(tree: Tree, path: list[str], deleted: bool) -> tuple[Tree, bool]:
    """Graft `path` (newest first; path[0] is the leaf) into a copy of `tree`: (tree, changed)."""
    if not path:
        raise InvalidRev("empty revision path")
    positions = [parse_rev(rev)[0] for rev in path]
    if any(newer != older + 1 for newer, older in pairwise(positions)):
        raise InvalidRev(f"revision path is not a chain of consecutive positions: {path!r}")
    new = dict(tree)
    changed = False
    for i, rev in enumerate(path):
        parent = path[i + 1] if i + 1 < len(path) else None
        node = new.get(rev)
        if node is None:
            new[rev] = Node(parent, deleted and i == 0)
            changed = True
            continue
        if node.parent is None and parent is not None:
            # A root left by stemming (or by a shorter path) gets its history back.
            new[rev] = node = Node(parent, node.deleted)
            changed = True
        elif parent is not None and node.parent != parent:
            # Ids hash their parent, so this is a foreign history: keep ours, graft nothing older.
            break
        if i == 0 and deleted and not node.deleted and _has_child(new, rev):
            # Known so far only as an ancestor, whose flag no path carries (CouchDB's
            # ?REV_MISSING in couch_key_tree:value_pref): learn it. A leaf is never rewritten.
            new[rev] = Node(node.parent, True)
            changed = True
    return new, changed


def _has_child(tree: Tree, rev: str) -> bool:
    return any(node.parent == rev for node in tree.values())


def _rank(tree: Tree, rev: str) -> tuple[bool, int, str]:
    # CouchDB's winner order: live before deleted, then higher pos, then greater hash string.
    pos, rev_hash = parse_rev(rev)
    return not tree[rev].deleted, pos, rev_hash


def leaves(tree: Tree) -> list[str]:
    """Revisions that are nobody's parent, in CouchDB's order (the winner first)."""
    parents = {node.parent for node in tree.values()}
    found = [rev for rev in tree if rev not in parents]
    return sorted(found, key=lambda rev: _rank(tree, rev), reverse=True)


def winner(tree: Tree) -> str:
    """The deterministic winning revision, the same on every replica holding the same tree."""
    if not tree:
        raise ValueError("an empty revision tree has no winner")
    return leaves(tree)[0]


def conflicts(tree: Tree) -> list[str]:
    """Live leaves other than the winner, best first: CouchDB's `_conflicts`."""
    return [rev for rev in leaves(tree)[1:] if not tree[rev].deleted]


def deleted_conflicts(tree: Tree) -> list[str]:
    """Deleted leaves other than the winner, best first: CouchDB's `_deleted_conflicts`."""
    return [rev for rev in leaves(tree)[1:] if tree[rev].deleted]


def is_deleted(tree: Tree) -> bool:
    return tree[winner(tree)].deleted


def _walk(tree: Tree, rev: str) -> Iterator[str]:
    current: str | None = rev
    while current is not None:
        node = tree[current]
        yield current
        current = node.parent


def ancestry(tree: Tree, rev: str) -> list[str]:
    """`rev` and its ancestors up to its root, newest first; KeyError if `rev` is unknown."""
    return list(_walk(tree, rev))


def to_revisions(tree: Tree, rev: str, limit: int | None = None) -> dict[str, Any]:
    """CouchDB's `_revisions` for `rev` (revs=true), with at most `limit` ids."""
    if limit is not None and limit < 1:
        raise ValueError("limit must be at least 1")
    path = islice(_walk(tree, rev), limit)
    return {"start": parse_rev(rev)[0], "ids": [parse_rev(r)[1] for r in path]}


def stem(tree: Tree, limit: int) -> Tree:
    """Keep only revisions within `limit` generations of a leaf (CouchDB's revs_limit)."""
    if limit < 1:
        raise ValueError("limit must be at least 1")
    keep: set[str] = set()
    for leaf in leaves(tree):
        keep.update(islice(_walk(tree, leaf), limit))
    # As couch_key_tree:stem/2 does, a kept node keeps its parent whenever that parent is kept
    # for another leaf, so a leaf's ancestry can run past `limit` through a shared ancestor.
    return {
        rev: node if node.parent is None or node.parent in keep else Node(None, node.deleted)
        for rev, node in tree.items()
        if rev in keep
    }


def new_rev_id(parent_rev: str | None, body: dict, deleted: bool) -> str:
    """Id of a new edit: the same edit on any device gets the same id, so retries are idempotent."""
    pos = 1 if parent_rev is None else parse_rev(parent_rev)[0] + 1
    content = {key: value for key, value in body.items() if not key.startswith("_")}
    if body.get("_attachments"):
        content["_attachments"] = {
            name: _attachment_digest(att) for name, att in body["_attachments"].items()
        }
    canonical = json.dumps(
        [bool(deleted), parent_rev, content],
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        allow_nan=False,
    )
    digest = hashlib.md5(canonical.encode("utf-8"), usedforsecurity=False).hexdigest()
    return f"{pos}-{digest}"


def _attachment_digest(att: dict) -> str:
    # A stub and an inline upload of the same bytes must give the same revision, so inline data
    # is reduced to the digest CouchDB and PouchDB would give it: "md5-" + base64(md5(bytes)).
    if att.get("digest"):
        return att["digest"]
    if isinstance(att.get("data"), str):
        raw = base64.b64decode(att["data"])
        md5 = hashlib.md5(raw, usedforsecurity=False).digest()
        return "md5-" + base64.b64encode(md5).decode("ascii")
    raise ValueError("an attachment needs a digest or inline data")


def revs_diff(tree: Tree, revs: list[str]) -> tuple[list[str], list[str]]:
    """CouchDB `_revs_diff` for one document: (missing revs, possible_ancestors)."""
    for rev in revs:
        parse_rev(rev)
    missing = list(dict.fromkeys(rev for rev in revs if rev not in tree))
    if not missing:
        return [], []
    highest = max(parse_rev(rev)[0] for rev in missing)
    # Any leaf below some missing revision may be what it was built on (couch_db:find_missing).
    return missing, [leaf for leaf in leaves(tree) if parse_rev(leaf)[0] < highest]


def find_leaf_for(tree: Tree, rev: str) -> list[str]:
    """Leaves descending from `rev`, itself included (open_revs with latest=true)."""
    if rev not in tree:
        return []
    return [leaf for leaf in leaves(tree) if rev in _walk(tree, leaf)]


def tree_to_json(tree: Tree) -> dict[str, list]:
    """{rev: [parent, deleted]}, oldest first so equal trees serialise identically."""
    ordered = sorted(tree, key=parse_rev)
    return {rev: [tree[rev].parent, tree[rev].deleted] for rev in ordered}


def tree_from_json(obj: dict[str, list]) -> Tree:
    """Inverse of tree_to_json; rejects a tree whose parent links could not come from merges."""
    if not isinstance(obj, dict):
        raise ValueError("a revision tree must be an object")
    tree: Tree = {}
    for rev, value in obj.items():
        pos = parse_rev(rev)[0]
        if not (isinstance(value, list | tuple) and len(value) == 2):
            raise ValueError(f"revision {rev!r} must map to [parent, deleted]")
        parent, deleted = value
        if not isinstance(deleted, bool):
            raise ValueError(f"revision {rev!r} has a non-boolean deleted flag")
        if parent is not None:
            if not isinstance(parent, str) or parent not in obj:
                raise ValueError(f"revision {rev!r} has an unknown parent {parent!r}")
            if parse_rev(parent)[0] != pos - 1:
                raise ValueError(f"revision {rev!r} has a parent at the wrong position")
        tree[rev] = Node(parent, deleted)
    return tree
