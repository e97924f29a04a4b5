"""Differential test: our store and pouchdb-server given the same replicated writes.

Both sides get the same ``new_edits=false`` writes (``_revisions`` paths, branches, deleted
leaves, undeletions, stemmed histories); then, per document, we compare what a CouchDB
client can see: the leaves with their ``_revisions``, the winner, ``_conflicts``,
``_deleted_conflicts``, ``_all_docs`` and ``_revs_diff``. A small model of CouchDB's merge
(``Model``) is the third voice: when the two disagree it says which one is right.

Where PouchDB differs from CouchDB, allowed for below:
- ``_revs_diff`` also lists revisions PouchDB holds without a body (known only as
  ancestors in a ``_revisions`` path), and never sends ``possible_ancestors``;
- a path that links a stemmed branch (a root above 1) to the rest of the tree leaves
  pouchdb-merge's ``doMerge`` with that branch twice: ``_conflicts`` can list a leaf twice
  and ``_revs_diff`` can ask again for a revision it holds. CouchDB's ``couch_key_tree:stem``
  repairs duplicate keys, and so do we (one parent per revision);
- ``revs=true`` finds a revision by its hash alone, so no hash here repeats along a path;
- a ``new_edits=false`` batch is sorted by id and ``_revisions.start`` before it is written;
- ``_deleted_conflicts`` is not implemented, and ``_conflicts`` comes in no set order;
- a deleted document answers 404 "missing" where CouchDB says "deleted".
No new edits here: their revision ids differ between implementations by design.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests
from hypothesis import event, given, settings
from hypothesis import strategies as st

from sync.store import migrations, schema_steps
from sync.store.database import connect
from sync.store.documents import DocumentStore
from sync.store.errors import DocumentNotFound

DOC_IDS = ("doc-a", "doc-b", "doc-c")
# Three letters: two devices often make the same edit, which is how branches collide.
TOKENS = "abc"
JSON = {"Accept": "application/json"}


def differential_settings() -> settings:
    """40 examples, or the profile named by HYPOTHESIS_PROFILE (``fuzz``: 1000)."""
    name = os.environ.get("HYPOTHESIS_PROFILE")
    parent = settings.get_profile(name) if name else settings(max_examples=40)
    # Each example talks HTTP to a real server: no per-example deadline.
    return settings(parent, deadline=None)


# --- revisions, writes and the model -------------------------------------------------------


def pos_of(rev: str) -> int:
    return int(rev.partition("-")[0])


def hash_of(rev: str) -> str:
    return rev.partition("-")[2]


def couch_order(rev: str, deleted: bool) -> tuple[bool, int, str]:
    # CouchDB's winner order (couch_doc:to_doc_info): live first, then pos, then hash.
    return not deleted, pos_of(rev), hash_of(rev)


def child_rev(parent: str | None, token: str) -> str:
    """A child's id names its parent, as a real (hashed) revision id does.

    So one id always has one parent (histories stay consistent), and hashes along a path
    all differ in length: none repeats, since PouchDB's ``revs=true`` looks hashes up by
    value.
    """
    if parent is None:
        return f"1-{token}"
    return f"{pos_of(parent) + 1}-{token}{hash_of(parent)}"


@dataclass(frozen=True)
class Write:
    doc_id: str
    path: tuple[str, ...]  # newest first; path[0] is the revision written
    deleted: bool
    bare: bool = False  # only ``_rev``, no ``_revisions``: a path of one revision

    def to_json(self) -> dict[str, Any]:
        doc: dict[str, Any] = {"_id": self.doc_id, "_rev": self.path[0], "value": self.path[0]}
        if not self.bare:
            ids = [hash_of(rev) for rev in self.path]
            doc["_revisions"] = {"start": pos_of(self.path[0]), "ids": ids}
        if self.deleted:
            doc["_deleted"] = True
        return doc


@dataclass
class Model:
    """One document's revision tree after replicated writes, as CouchDB merges them."""

    parent: dict[str, str | None] = field(default_factory=dict)  # None: a root
    deleted: dict[str, bool] = field(default_factory=dict)
    with_body: set[str] = field(default_factory=set)

    def apply(self, write: Write) -> None:
        if write.path[0] in self.parent:
            return  # a revision we hold already: the write is ignored
        self.with_body.add(write.path[0])
        self.deleted[write.path[0]] = write.deleted
        for i, rev in enumerate(write.path):
            parent = write.path[i + 1] if i + 1 < len(write.path) else None
            if self.parent.get(rev) is None:
                # new, or a root whose history this path gives back
                self.parent[rev] = parent

    def leaves(self) -> dict[str, bool]:
        parents = set(self.parent.values())
        return {rev: self.deleted[rev] for rev in self.parent if rev not in parents}

    def ranked(self) -> list[str]:
        found = self.leaves()
        return sorted(found, key=lambda rev: couch_order(rev, found[rev]), reverse=True)


@dataclass
class Scenario:
    batches: list[list[Write]]
    queries: dict[str, list[str]]  # _revs_diff: doc id -> revisions asked about

    def models(self) -> dict[str, Model]:
        models = {doc_id: Model() for doc_id in [*DOC_IDS, *self.queries]}
        for batch in self.batches:
            for write in batch:
                models.setdefault(write.doc_id, Model()).apply(write)
        return models


def ancestry(universe: dict[str, tuple[str | None, bool]], rev: str | None) -> list[str]:
    path = []
    while rev is not None:
        path.append(rev)
        rev = universe[rev][0]
    return path


@st.composite
def writes_for(
    draw: st.DrawFn, doc_id: str, universe: dict[str, tuple[str | None, bool]], model: Model
) -> Write:
    """One replicated write: extend a leaf, branch from anywhere, or resend a revision."""
    kind = draw(st.sampled_from(["extend", "extend", "branch", "resend"]))
    if kind == "resend" and universe:
        leaf = draw(st.sampled_from(sorted(universe)))
    else:
        if kind == "extend" and model.parent:
            # a live leaf gets a deletion or an edit; a deleted one, an undeletion or not
            base = draw(st.sampled_from(sorted(model.leaves())))
        else:
            # a new root (a doc made on two devices), or a branch from any revision made
            base = draw((st.none() | st.sampled_from(sorted(universe))) if universe else st.none())
        leaf = base
        for _ in range(draw(st.integers(1, 3))):
            rev = child_rev(leaf, draw(st.sampled_from(TOKENS)))
            # An id made before is the same edit again, with the same deleted flag.
            universe.setdefault(rev, (leaf, draw(st.booleans())))
            leaf = rev
    assert leaf is not None
    path = ancestry(universe, leaf)
    # Usually the whole history; sometimes only its newest part, as after stemming.
    kept = draw(st.just(len(path)) | st.integers(1, len(path)))
    bare = kept == 1 and draw(st.booleans())
    write = Write(doc_id, tuple(path[:kept]), universe[leaf][1], bare)
    model.apply(write)
    return write


def pouch_order(batch: list[Write]) -> list[Write]:
    """The order pouchdb-server writes a ``new_edits=false`` batch in: by id, then start.

    PouchDB sorts the batch first (pouchdb-core ``compareByIdThenRev``, PouchDB #2935); our
    store writes in request order, which can differ (see
    ``test_batch_order_does_not_change_the_tree``). Sending both sides the sorted batch
    compares the merges, not the orders.
    """
    # A doc without _revisions sorts as position 0 there.
    return sorted(
        batch, key=lambda write: (write.doc_id, 0 if write.bare else pos_of(write.path[0]))
    )


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    universe: dict[str, dict[str, tuple[str | None, bool]]] = {d: {} for d in DOC_IDS}
    models = {d: Model() for d in DOC_IDS}
    batches = []
    for _ in range(draw(st.integers(1, 6))):
        batch = []
        for _ in range(draw(st.integers(1, 4))):
            doc_id = draw(st.sampled_from(DOC_IDS))
            batch.append(draw(writes_for(doc_id, universe[doc_id], models[doc_id])))
        batches.append(pouch_order(batch))
    queries = {}
    for doc_id in DOC_IDS:
        top = max((pos_of(rev) for rev in universe[doc_id]), default=0)
        # made, sent or not; plus ids nobody made, below, among and above the tree
        candidates = sorted(universe[doc_id]) + ["1-z", "2-zz", f"{top + 1}-z", f"{top + 3}-z"]
        queries[doc_id] = draw(st.lists(st.sampled_from(candidates), unique=True, max_size=6))
    return Scenario(batches, queries)


# --- the two sides ------------------------------------------------------------------------


def apply_store(store: DocumentStore, batches: list[list[Write]]) -> None:
    for batch in batches:
        results = store.bulk_docs([w.to_json() for w in batch], new_edits=False)
        assert [r for r in results if "error" in r] == []


def apply_pouch(session: requests.Session, url: str, batches: list[list[Write]]) -> None:
    for batch in batches:
        body = {"docs": [w.to_json() for w in batch], "new_edits": False}
        response = session.post(f"{url}/_bulk_docs", json=body, timeout=10)
        assert response.status_code == 201, response.text
        assert [r for r in response.json() if "error" in r] == []


def _conflict_set(doc: dict[str, Any] | None) -> dict[str, Any] | None:
    # Compared as sets: PouchDB's order is loose and it can list a leaf twice (a stemmed
    # branch it keeps twice, see the module docstring). Our exact list is checked against
    # the model.
    if doc is not None and "_conflicts" in doc:
        doc = {**doc, "_conflicts": sorted(set(doc["_conflicts"]))}
    return doc


def view_store(store: DocumentStore, doc_id: str) -> dict[str, Any]:
    """What a client sees of one document in our store, in the shape of ``view_pouch``."""
    leaves = {d["ok"]["_rev"]: d["ok"] for d in store.open_revs(doc_id, "all", revs=True)}
    [row] = store.all_docs(keys=[doc_id])["rows"]
    view: dict[str, Any] = {
        "leaves": leaves,
        "all_docs": {k: row[k] for k in ("value", "error") if k in row},
    }
    try:
        view["current"] = _conflict_set(store.get_doc(doc_id, conflicts=True))
    except DocumentNotFound:
        view["current"] = None
    winner = row.get("value", {}).get("rev")
    if winner is not None:
        doc = store.get_doc(doc_id, rev=winner, conflicts=True, deleted_conflicts=True)
        view["deleted_conflicts"] = sorted(doc.pop("_deleted_conflicts", []))
        view["winner_doc"] = _conflict_set(doc)
    return view


def view_pouch(session: requests.Session, url: str, doc_id: str) -> dict[str, Any]:
    response = session.get(
        f"{url}/{doc_id}", params={"open_revs": "all", "revs": "true"}, headers=JSON, timeout=10
    )
    if response.status_code == 404:
        leaves = {}
    else:
        assert response.status_code == 200, response.text
        leaves = {d["ok"]["_rev"]: d["ok"] for d in response.json()}
    response = session.post(f"{url}/_all_docs", json={"keys": [doc_id]}, timeout=10)
    [row] = response.json()["rows"]
    view: dict[str, Any] = {
        "leaves": leaves,
        "all_docs": {k: row[k] for k in ("value", "error") if k in row},
    }
    response = session.get(f"{url}/{doc_id}", params={"conflicts": "true"}, timeout=10)
    assert response.status_code in (200, 404), response.text
    view["current"] = _conflict_set(response.json() if response.ok else None)
    winner = row.get("value", {}).get("rev")
    if winner is not None:
        response = session.get(
            f"{url}/{doc_id}", params={"rev": winner, "conflicts": "true"}, timeout=10
        )
        assert response.status_code == 200, response.text
        # PouchDB has no _deleted_conflicts: CouchDB's rule over the leaves PouchDB holds.
        view["deleted_conflicts"] = sorted(
            rev for rev, doc in leaves.items() if doc.get("_deleted") and rev != winner
        )
        view["winner_doc"] = _conflict_set(response.json())
    return view


def compare(store: DocumentStore, session: requests.Session, url: str, scenario: Scenario) -> None:
    models = scenario.models()
    for doc_id in DOC_IDS:
        ours, theirs = view_store(store, doc_id), view_pouch(session, url, doc_id)
        assert ours == theirs, doc_id
        check_against_model(store, doc_id, models[doc_id])
    response = session.get(url, timeout=10)
    assert store.doc_count() == response.json()["doc_count"]
    compare_revs_diff(store, session, url, scenario.queries, models)


def check_against_model(store: DocumentStore, doc_id: str, model: Model) -> None:
    """Our store's tree and orderings are CouchDB's, exactly (PouchDB's orders are loose)."""
    row = store.row(doc_id)
    if not model.parent:
        assert row is None
        return
    assert row is not None
    assert {rev: node.parent for rev, node in row.tree.items()} == model.parent
    leaves, ranked = model.leaves(), model.ranked()
    assert (row.winner, row.deleted) == (ranked[0], leaves[ranked[0]])
    doc = store.get_doc(doc_id, rev=row.winner, conflicts=True, deleted_conflicts=True)
    assert doc.get("_conflicts", []) == [r for r in ranked[1:] if not leaves[r]]
    assert doc.get("_deleted_conflicts", []) == [r for r in ranked[1:] if leaves[r]]


def compare_revs_diff(
    store: DocumentStore,
    session: requests.Session,
    url: str,
    queries: dict[str, list[str]],
    models: dict[str, Model],
) -> None:
    asked = {doc_id: revs for doc_id, revs in queries.items() if revs}
    if not asked:
        return
    ours = store.revs_diff(asked)
    response = session.post(f"{url}/_revs_diff", json=asked, timeout=10)
    assert response.status_code == 200, response.text
    theirs = response.json()
    for doc_id, revs in asked.items():
        model = models[doc_id]
        our_missing = set(ours.get(doc_id, {}).get("missing", []))
        their_missing = set(theirs.get(doc_id, {}).get("missing", []))
        held = {rev for rev in revs if rev in model.parent}
        assert our_missing == set(revs) - held, doc_id
        # PouchDB also asks for revisions it holds without a body (known as ancestors only),
        # and for some it holds twice; CouchDB asks only for revisions it does not hold.
        bodiless = held - model.with_body
        assert our_missing | bodiless <= their_missing <= our_missing | held, doc_id
        # couch_db:find_missing: every leaf below some missing revision may be its ancestor.
        expected = set()
        if our_missing:
            highest = max(pos_of(rev) for rev in our_missing)
            expected = {leaf for leaf in model.leaves() if pos_of(leaf) < highest}
        assert set(ours.get(doc_id, {}).get("possible_ancestors", [])) == expected, doc_id


# --- tests --------------------------------------------------------------------------------


def features(scenario: Scenario) -> set[str]:
    """What a scenario exercises, so the statistics show the strategy reaches each case."""
    found = set()
    for model in scenario.models().values():
        if not model.parent:
            continue
        leaves, ranked = model.leaves(), model.ranked()
        if leaves[ranked[0]]:
            found.add("deleted winner")
        if any(not leaves[rev] for rev in ranked[1:]):
            found.add("_conflicts")
        if any(leaves[rev] for rev in ranked[1:]):
            found.add("_deleted_conflicts")
        if any(deleted for rev, deleted in model.deleted.items() if rev not in leaves):
            found.add("undeletion or edit of a deleted revision")
        if any(parent is None and pos_of(rev) > 1 for rev, parent in model.parent.items()):
            found.add("stemmed root left")
        if len([rev for rev, parent in model.parent.items() if parent is None]) > 1:
            found.add("forest")
    writes = [write for batch in scenario.batches for write in batch]
    if len(set(writes)) < len(writes):
        found.add("same write twice")
    if any(write.bare for write in writes):
        found.add("_rev without _revisions")
    return found


def run_both(pouchdb_server, batches: list[list[Write]], check) -> None:
    """Apply ``batches`` to a fresh store and a fresh pouchdb-server database; ``check``."""
    url = pouchdb_server.new_db()
    try:
        # A session per example: pouchdb-server drops keep-alive sockets idle for 5 s.
        with requests.Session() as session, tempfile.TemporaryDirectory() as tmp:
            db = connect(Path(tmp) / "store.sqlite3")
            try:
                migrations.migrate(db, schema_steps.MIGRATIONS)
                store = DocumentStore(db, lambda doc_id, body: {"all"})
                apply_store(store, batches)
                apply_pouch(session, url, batches)
                check(store, session, url)
            finally:
                db.conn.close()
    finally:
        pouchdb_server.delete_db(url)


@differential_settings()
@given(scenario=scenarios())
def test_store_agrees_with_pouchdb_server(pouchdb_server, scenario):
    for label in features(scenario):
        event(label)  # shown by --hypothesis-show-statistics
    run_both(
        pouchdb_server,
        scenario.batches,
        lambda store, session, url: compare(store, session, url, scenario),
    )


def w(doc_id: str, path: str, deleted: bool = False) -> Write:
    """A write from a space-separated path, newest first: ``w("d", "3-c 2-b 1-a")``."""
    return Write(doc_id, tuple(path.split()), deleted)


# CouchDB's documented winner rules (docs.couchdb.org, "Replication and conflict model";
# guide "Conflict management"): live beats deleted, then the longer history, then the
# greater revision id in ASCII order. Expected: winner, deleted, _conflicts, _deleted_conflicts.
# No hash repeats along a path: PouchDB's revs=true finds a revision by its hash alone.
HAND_WRITTEN = {
    "deleted_vs_live_leaf": (
        [[w("d", "3-c 2-b 1-r", deleted=True)], [w("d", "2-d 1-r")]],
        ("2-d", False, [], ["3-c"]),
    ),
    "longer_branch_wins": (
        [[w("d", "2-d 1-r"), w("d", "3-c 2-b 1-r")]],
        ("3-c", False, ["2-d"], []),
    ),
    "equal_length_greater_hash_wins": (
        [[w("d", "2-b 1-r")], [w("d", "2-c 1-r")], [w("d", "2-a 1-r")]],
        ("2-c", False, ["2-b", "2-a"], []),
    ),
    "undelete_on_a_deleted_leaf": (
        [[w("d", "2-b 1-r", deleted=True)], [w("d", "3-c 2-b 1-r")]],
        ("3-c", False, [], []),
    ),
    "all_leaves_deleted": (
        [[w("d", "2-b 1-r", deleted=True), w("d", "3-d 2-c 1-r", deleted=True)]],
        ("3-d", True, [], ["2-b"]),
    ),
    "stemmed_root_gets_its_history_back": (
        [[w("d", "4-d 3-c")], [w("d", "2-x 1-r")], [w("d", "5-e 4-d 3-c 2-b 1-r")]],
        ("5-e", False, ["2-x"], []),
    ),
}


@pytest.mark.parametrize("case", HAND_WRITTEN)
def test_hand_written_case(pouchdb_server, case):
    batches, (winner, deleted, conflicts, deleted_conflicts) = HAND_WRITTEN[case]
    scenario = Scenario(batches, {"d": ["1-r", "2-b", "3-c", "9-z"]})

    def check(store, session, url):
        ours, theirs = view_store(store, "d"), view_pouch(session, url, "d")
        assert ours == theirs
        assert ours["all_docs"]["value"]["rev"] == winner
        assert bool(ours["all_docs"]["value"].get("deleted")) is deleted
        assert (ours["current"] is None) is deleted
        doc = store.get_doc("d", rev=winner, conflicts=True, deleted_conflicts=True)
        assert doc.get("_conflicts", []) == conflicts
        assert doc.get("_deleted_conflicts", []) == deleted_conflicts
        models = scenario.models()
        check_against_model(store, "d", models["d"])
        compare_revs_diff(store, session, url, scenario.queries, models)

    run_both(pouchdb_server, batches, check)


def test_batch_order_does_not_change_the_tree(pouchdb_server):
    """The same ``new_edits=false`` batch in another order must give the same tree.

    Here 3-c arrives with a stemmed history (3-c, 2-b) in the same batch as 2-b's own
    write (2-b, 1-r). pouchdb-server sorts a batch by id then position before writing it
    (PouchDB #2935), so both orders give it one branch, 1-r > 2-b > 3-c. CouchDB merges
    the whole batch into the tree before it picks the docs to write
    (couch_db:prep_and_validate_replicated_updates): its answer does not depend on the
    order either. Ours does: sent stemmed-first, 1-r stays a leaf of its own.
    """
    batch = [w("d", "3-c 2-b"), w("d", "2-b 1-r")]
    leaves = {}
    for name, order in {"stemmed first": batch, "ancestor first": batch[::-1]}.items():

        def check(store, session, url, name=name):
            ours = view_store(store, "d")["leaves"]
            theirs = view_pouch(session, url, "d")["leaves"]
            leaves[name] = {"ours": sorted(ours), "pouchdb-server": sorted(theirs)}

        run_both(pouchdb_server, [[w("d", "1-r")], order], check)
    assert leaves["stemmed first"] == leaves["ancestor first"], leaves
