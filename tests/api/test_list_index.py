"""The lists read from the list index (api/services/list_index.py) say exactly what the
changes feed said: the same pages, cursors, tombstones and ``more``, checked against the
lists as they were written before the index (kept here as the model) after random
edits, deletions, bare tombstones, moves between cooperatives and order moves.

Plus the index's own duties: the counts the review queue shows, and an existing store
upgraded by migration 11.
"""

from __future__ import annotations

import random
from functools import partial

import pytest

from api import migrations, state
from api.services import list_index, orders, products, reviews
from api.services.accounts import User
from api.services.push import digest
from sync.rules.access import channels_for, user_channels
from sync.store.database import connect, write_transaction
from sync.store.documents import DocumentStore
from tests.support import bulk_store

PLACES = [
    ("art_fatima", "coop-taza-zerbia"),
    ("art_khadija", "coop-taza-zerbia"),
    ("art_zahra", "coop-essaouira-argan"),
    ("art_aicha", "coop-marrakech-fakhar"),
]
STATUSES = ["draft", "submitted", "approved", "changes_requested"]
CATEGORIES = ["carpets", "pottery", "argan"]


def _user(user_id: str, role: str, coops: tuple[str, ...] = ()) -> User:
    return User(
        id=user_id,
        phone="+212600000000",
        role=role,
        display_name=user_id,
        locale="fr",
        cooperative_id=coops[0] if role == "artisan" else None,
        session_version=0,
        disabled=False,
        created_at=0.0,
        cooperative_ids=coops,
    )


READERS = [
    _user("art_fatima", "artisan", ("coop-taza-zerbia",)),
    _user("coo_naima", "coordinator", ("coop-taza-zerbia",)),
    # two cooperatives: a product moved between them is in both of her channels' rows
    _user("coo_youssef", "coordinator", ("coop-essaouira-argan", "coop-marrakech-fakhar")),
    _user("buy_claire", "buyer"),
    _user("buy_gen_1", "buyer"),
    _user("adm_demo", "admin"),
]


# The model: the lists as they were, walking the reader's changes feed.


def _was_product(store: DocumentStore, doc_id: str) -> bool:
    return (
        store.db.execute(
            "SELECT 1 FROM revs WHERE doc_id = ? AND json_extract(body, '$.type') = 'product' "
            "LIMIT 1",
            [doc_id],
        ).fetchone()
        is not None
    )


def model_products(store, user, since=0, limit=50, status=None, category=None):
    items, deleted, cursor, visible = [], [], since, user_channels(user)

    def page(cursor, more):
        rendered = [products.render(store, d) for d in items]
        return {"items": rendered, "deleted": deleted, "next": str(cursor), "more": more}

    while True:
        feed = store.changes(cursor, visible=visible, limit=200, include_docs=True)
        results = feed["results"]
        for index, entry in enumerate(results):
            cursor = entry["seq"]
            doc = entry.get("doc") or {}
            if entry.get("deleted") or "removed" in entry:
                if _was_product(store, entry["id"]):
                    deleted.append(entry["id"])
            elif doc.get("type") == "product" and (
                (status is None or doc.get("status") == status)
                and (category is None or doc.get("category") == category)
            ):
                items.append(doc)
            if len(items) + len(deleted) >= limit:
                return page(cursor, index + 1 < len(results) or feed["pending"] > 0)
        if not feed["pending"]:
            return page(max(cursor, feed["last_seq"]), False)


def model_orders(store, user, since=0, limit=50, status=None):
    items, cursor, visible = [], since, user_channels(user)
    while True:
        feed = store.changes(cursor, visible=visible, limit=200, include_docs=True)
        for index, entry in enumerate(feed["results"]):
            cursor = entry["seq"]
            doc = entry.get("doc") or {}
            live = not entry.get("deleted") and "removed" not in entry
            if live and doc.get("type") == "order" and status in (None, doc.get("status")):
                items.append(doc)
            if len(items) >= limit:
                more = index + 1 < len(feed["results"]) or feed["pending"] > 0
                rendered = [orders.render(user, d) for d in items]
                return {"items": rendered, "next": str(cursor), "more": more}
        if not feed["pending"]:
            last = max(cursor, feed["last_seq"])
            rendered = [orders.render(user, d) for d in items]
            return {"items": rendered, "next": str(last), "more": False}


def model_counts(store, coops):
    where = ["d.deleted = 0", "json_extract(r.body, '$.type') = 'product'"]
    if coops is not None:
        where.append(f"json_extract(r.body, '$.cooperative') IN ({','.join('?' * len(coops))})")
    status = "json_extract(r.body, '$.status')"
    return dict(
        store.db.execute(
            f"SELECT {status}, count(*) FROM docs d JOIN revs r ON r.doc_id = d.id "
            f"AND r.rev = d.winner WHERE {' AND '.join(where)} GROUP BY {status}",
            coops or [],
        ).fetchall()
    )


# Random changes, written as the server and the phones write them.


class Editor:
    def __init__(self, store: DocumentStore, rng: random.Random):
        self.store, self.rng, self.n = store, rng, 0

    def _put(self, doc: dict) -> None:
        self.store.put(doc)

    def new_product(self) -> None:
        self.n += 1
        owner, coop = self.rng.choice(PLACES)
        self._put(
            {
                "_id": f"product:r{self.n}",
                "type": "product",
                "owner": owner,
                "cooperative": coop,
                "title": {"fr": f"Pièce {self.n}"},
                "category": self.rng.choice(CATEGORIES),
                "status": self.rng.choice(STATUSES),
                "price_centimes": 1000,
            }
        )

    def _pick(self, kind: str, live: bool = True) -> dict | None:
        rows = self.store.db.execute(
            "SELECT id FROM docs WHERE id LIKE ? AND deleted = ? ORDER BY id",
            [f"{kind}:%", 0 if live else 1],
        ).fetchall()
        if not rows:
            return None
        doc_id = self.rng.choice(rows)[0]
        row = self.store.row(doc_id)
        return {**(self.store.body(doc_id, row.winner) or {}), "_id": doc_id, "_rev": row.winner}

    def edit_product(self) -> None:
        doc = self._pick("product")
        if doc:
            doc["status"] = self.rng.choice(STATUSES)
            if self.rng.random() < 0.3:
                doc["category"] = self.rng.choice(CATEGORIES)
            self._put(doc)

    def move_product(self) -> None:
        """To another artisan and cooperative (an admin's edit): the product leaves the
        channels it was in, and their readers get a removal."""
        doc = self._pick("product")
        if doc:
            doc["owner"], doc["cooperative"] = self.rng.choice(PLACES)
            self._put(doc)

    def delete_product(self) -> None:
        doc = self._pick("product")
        if doc:
            self._put({**doc, "_deleted": True})

    def bare_tombstone(self) -> None:
        """What PouchDB pushes for a deletion: no fields, no type."""
        doc = self._pick("product")
        if doc:
            self._put({"_id": doc["_id"], "_rev": doc["_rev"], "_deleted": True})

    def recreate(self) -> None:
        doc = self._pick("product", live=False)
        if doc:
            owner, coop = self.rng.choice(PLACES)
            body = {"type": "product", "owner": owner, "cooperative": coop, "category": "argan"}
            self._put({**body, "_id": doc["_id"], "status": self.rng.choice(STATUSES)})

    def new_order(self) -> None:
        self.n += 1
        owner, coop = self.rng.choice(PLACES)
        buyer = self.rng.choice(["buy_claire", "buy_gen_1"])
        self._put(
            {
                "_id": f"order:r{self.n}",
                "type": "order",
                "buyer": buyer,
                "artisan": owner,
                "cooperative": coop,
                "product_id": "product:r1",
                "status": "placed",
                "history": [{"status": "placed", "by": buyer, "role": "buyer", "at": "t"}],
            }
        )

    def move_order(self) -> None:
        doc = self._pick("order")
        if doc:
            doc["status"] = self.rng.choice(["accepted", "declined", "shipped"])
            doc["history"] = [*doc["history"], {"status": doc["status"], "by": "x", "at": "t"}]
            self._put(doc)

    def noise(self) -> None:
        """Documents no list shows: a photo, a material movement deleted bare."""
        self.n += 1
        owner, coop = self.rng.choice(PLACES)
        body = {"owner": owner, "cooperative": coop}
        self._put({**body, "_id": f"photo:r{self.n}", "type": "photo", "status": "pending"})
        rev = self.store.put(
            {**body, "_id": f"mm:r{self.n}", "type": "material_movement", "quantity": 1}
        )
        self._put({"_id": f"mm:r{self.n}", "_rev": rev, "_deleted": True})

    def step(self) -> None:
        action = self.rng.choices(
            [
                self.new_product,
                self.edit_product,
                self.move_product,
                self.delete_product,
                self.bare_tombstone,
                self.recreate,
                self.new_order,
                self.move_order,
                self.noise,
            ],
            weights=[6, 5, 2, 1, 1, 1, 3, 2, 1],
        )[0]
        action()


def _pages(read, **params) -> list[dict]:
    """Every page from the start, following ``next`` while ``more``."""
    pages, since = [], 0
    for _ in range(200):
        page = read(since=since, **params)
        pages.append(page)
        if not page["more"]:
            return pages
        since = int(page["next"])
    raise AssertionError("more never ends")


@pytest.fixture
def store(app):
    hirfa = state.of(app)
    db = hirfa.open_db()
    yield hirfa.store(db)
    db.close()


@pytest.mark.parametrize("seed", range(6))
def test_the_lists_say_what_the_changes_feed_said(store, seed):
    rng = random.Random(seed)
    editor = Editor(store, rng)
    for round_ in range(4):
        for _ in range(40):
            editor.step()
        # Read between rounds, so the index catches up in steps as it does in service.
        for reader in READERS:
            limit = rng.choice([1, 2, 3, 7, 50])
            status = rng.choice([None, *STATUSES])
            category = rng.choice([None, *CATEGORIES])
            since = rng.choice([0, store.update_seq() // 2, store.update_seq() + 5])
            params = {"limit": limit, "status": status, "category": category, "since": since}
            got = products.list_mine(store, reader, **params)
            assert got == model_products(store, reader, **params), (round_, reader.id, params)
            o_status = rng.choice([None, "placed", "accepted"])
            o_params = {"since": since, "limit": limit, "status": o_status}
            got = orders.list_orders(store, reader, **o_params)
            assert got == model_orders(store, reader, **o_params), (round_, reader.id, o_params)
    for reader in READERS:
        for status in [None, "submitted"]:
            for category in [None, "pottery"]:
                for limit in [1, 3, 50]:
                    params = {"limit": limit, "status": status, "category": category}
                    mine = _pages(partial(products.list_mine, store, reader), **params)
                    model = _pages(partial(model_products, store, reader), **params)
                    assert mine == model, (reader.id, params)
        for status in [None, "placed"]:
            for limit in [1, 4, 50]:
                params = {"limit": limit, "status": status}
                mine = _pages(partial(orders.list_orders, store, reader), **params)
                model = _pages(partial(model_orders, store, reader), **params)
                assert mine == model, (reader.id, params)


@pytest.mark.parametrize("seed", range(3))
def test_the_queue_counts_are_the_documents_counts(store, seed):
    rng = random.Random(100 + seed)
    editor = Editor(store, rng)
    for _ in range(5):
        for _ in range(30):
            editor.step()
        two = ["coop-essaouira-argan", "coop-marrakech-fakhar"]
        for coops in [None, ["coop-taza-zerbia"], two]:
            with list_index.reading(store):
                channels = ["*"] if coops is None else [f"coop:{c}" for c in coops]
                counts = list_index.counts(store.db, channels, "product")
            assert counts == model_counts(store, coops), coops
        waiting = store.db.execute(  # the digest's figures, as it read them from the bodies
            "SELECT json_extract(r.body, '$.cooperative') AS coop, count(*), max(d.seq) "
            "FROM docs d JOIN revs r ON r.doc_id = d.id AND r.rev = d.winner "
            "WHERE d.deleted = 0 AND json_extract(r.body, '$.type') = 'product' "
            "AND json_extract(r.body, '$.status') = 'submitted' GROUP BY coop"
        ).fetchall()
        assert sorted(digest._waiting(store.db)) == sorted(waiting)


def test_the_queue_pages_in_submission_order_per_cooperative_and_category(store):
    """The queue's page is read from review_submissions, merged across cooperatives."""
    coordinator = READERS[2]
    ids = []
    for n in range(12):
        place = PLACES[2 + n % 2]
        doc_id = f"product:q{n}"
        store.put(
            {
                "_id": doc_id,
                "type": "product",
                "owner": place[0],
                "cooperative": place[1],
                "category": CATEGORIES[n % 3],
                "status": "submitted",
            }
        )
        ids.append(doc_id)
    reviews.queue(store, coordinator, {})  # the queue sees them: their places are taken
    # An edit while queued keeps the place; a decided one leaves.
    first = store.get_doc(ids[0])
    store.put({**first, "title": {"fr": "retouché"}})
    second = store.get_doc(ids[1])
    store.put({**second, "status": "approved"})
    queued = [i for i in ids if i != ids[1]]
    page = reviews.queue(store, coordinator, {"limit": 4, "offset": 0})
    assert [i["id"] for i in page["items"]] == queued[:4]
    page = reviews.queue(store, coordinator, {"limit": 4, "offset": 4})
    assert [i["id"] for i in page["items"]] == queued[4:8]
    pottery = reviews.queue(store, coordinator, {"category": "pottery"})
    assert [i["id"] for i in pottery["items"]] == [i for i in queued if int(i[9:]) % 3 == 1]
    one = reviews.queue(store, coordinator, {"cooperative": "coop-marrakech-fakhar"})
    assert [i["id"] for i in one["items"]] == [i for i in queued if int(i[9:]) % 2 == 1]
    assert page["counts"] == {"submitted": 11, "approved": 1}


def test_an_existing_store_gets_its_list_indexes_on_upgrade(tmp_path):
    """Migration 11 on a store that has documents and a review queue already: the queue's
    rows get their cooperative and category, the lists index everything on first read."""
    db = connect(tmp_path / "old.db")
    try:
        migrations.runner.migrate(db, [step for step in migrations.MIGRATIONS if step[0] < 11])
        store = DocumentStore(db, channels_for)
        bulk_store.fill(store, 300)
        with write_transaction(db):  # the queue as version 9's follower left it
            db.execute(
                "INSERT INTO review_submissions (product_id, seq) SELECT d.id, d.seq FROM docs d "
                "JOIN revs r ON r.doc_id = d.id AND r.rev = d.winner "
                "WHERE json_extract(r.body, '$.status') = 'submitted'"
            )
            db.execute("UPDATE review_feed SET value = ?", [store.update_seq()])
        assert db.execute("SELECT count(*) FROM review_submissions").fetchone()[0] > 0
        assert migrations.migrate(db) == [v for v, *_ in migrations.MIGRATIONS if v >= 11]
        missing = db.execute(
            "SELECT count(*) FROM review_submissions WHERE cooperative IS NULL OR category IS NULL"
        ).fetchone()[0]
        assert missing == 0
        coordinator = READERS[1]
        page = reviews.queue(store, coordinator, {"limit": 200})
        assert page["items"]
        assert {i["cooperative"] for i in page["items"]} == {"coop-taza-zerbia"}
        assert page["counts"] == model_counts(store, ["coop-taza-zerbia"])
        params = {"limit": 20, "status": "submitted"}
        got = products.list_mine(store, coordinator, **params)
        assert got == model_products(store, coordinator, **params)
    finally:
        db.close()


def test_a_list_read_while_writes_keep_landing_misses_none(app, store, monkeypatch):
    """A write between catching up and reading: the read catches up again (and, if
    writes keep landing, reads under the write lock); its cursor never passes a change
    the index has not seen, so the next page has every one."""
    other = state.of(app).open_db()
    writer = Editor(state.of(app).store(other), random.Random(7))
    follow, calls = list_index.follow, []

    def follow_then_a_write(db):
        seq = follow(db)
        calls.append(seq)
        if len(calls) <= 3:  # then the reader takes the write lock
            writer.new_product()
        return seq

    monkeypatch.setattr(list_index, "follow", follow_then_a_write)
    reader = READERS[5]  # the admin sees every product
    try:
        first = products.list_mine(store, reader, limit=50)
        # Three reads in a snapshot each found a write after the catch-up; the fourth
        # caught up under the write lock and read there: all three writes are in.
        assert len(calls) == 4 and len(first["items"]) == 3
        monkeypatch.setattr(list_index, "follow", follow)
        writer.new_product()
        rest = products.list_mine(store, reader, since=int(first["next"]), limit=50)
    finally:
        other.close()
    assert len(rest["items"]) == 1
    assert [p["id"] for p in first["items"] + rest["items"]] == [
        p["id"] for p in model_products(store, reader)["items"]
    ]
