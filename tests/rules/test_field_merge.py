"""The field-level three-way merge of products (sync/rules/resolution.py): properties over
random concurrent edits, and the same conflict settled by two stores."""

from __future__ import annotations

import itertools
import os

from hypothesis import given, settings
from hypothesis import strategies as st

from api import migrations
from api.config import load_settings
from api.stores import document_store
from sync.rules import resolution
from sync.store.database import connect

LANGS = ("ar", "fr", "en")
TEXT = st.text(alphabet="abcé ز", min_size=1, max_size=6)
LOCALISED = st.dictionaries(st.sampled_from(LANGS), TEXT, min_size=1)
FIELDS = {
    "title": LOCALISED,
    "description": LOCALISED,
    "price_centimes": st.integers(0, 10_000),
    "category": st.sampled_from(["carpets", "pottery", "baskets"]),
    "status": st.sampled_from(["draft", "submitted"]),
}
MISSING = object()

ANCESTOR = st.fixed_dictionaries(
    {
        "type": st.just("product"),
        "title": LOCALISED,
        "updated_at": st.just("2026-12-01T08:00:00Z"),
        "stock": st.fixed_dictionaries(
            {"mode": st.just("in_stock"), "quantity": st.integers(0, 20)}
        ),
    },
    optional={"description": LOCALISED, "price_centimes": FIELDS["price_centimes"]},
)


@st.composite
def branch(draw, ancestor: dict, n: int) -> tuple[str, dict]:
    """A branch: the ancestor with some fields (or single languages) changed or removed."""
    body = {**ancestor, "stock": dict(ancestor["stock"])}
    for name in draw(st.sets(st.sampled_from(sorted(FIELDS)), max_size=3)):
        base = body.get(name)
        if isinstance(base, dict) and draw(st.booleans()):
            body[name] = {**base, draw(st.sampled_from(LANGS)): draw(TEXT)}  # one language
        elif name != "title" and draw(st.integers(0, 4)) == 0:
            body.pop(name, None)
        else:
            body[name] = draw(FIELDS[name])
    body["stock"]["quantity"] = draw(st.integers(0, 20))
    minute = draw(st.integers(1, 59))
    body["updated_at"] = f"2026-12-01T09:{minute:02d}:00Z"
    return f"{2}-{n}{draw(st.text(alphabet='abcdef', min_size=4, max_size=4))}", body


@st.composite
def conflict(draw) -> tuple[dict, list[tuple[str, dict]]]:
    ancestor = draw(ANCESTOR)
    count = draw(st.integers(2, 3))
    leaves = [draw(branch(ancestor, n)) for n in range(count)]
    return ancestor, leaves


# `make fuzz` sets HYPOTHESIS_PROFILE=fuzz: many more examples than `make test`.
PROFILE = os.environ.get("HYPOTHESIS_PROFILE")
PROPERTY = settings(
    settings.get_profile(PROFILE) if PROFILE else settings(max_examples=150), deadline=None
)


@PROPERTY
@given(conflict(), st.randoms())
def test_the_result_does_not_depend_on_the_order_branches_arrive_in(case, random):
    ancestor, leaves = case
    shuffled = list(leaves)
    random.shuffle(shuffled)
    assert resolution.product_edit(shuffled, ancestor) == resolution.product_edit(leaves, ancestor)


def _value(body: dict, path: tuple[str, ...]):
    for name in path:
        if not isinstance(body, dict) or name not in body:
            return MISSING
        body = body[name]
    return body


def _paths(ancestor: dict, leaves: list) -> set[tuple[str, ...]]:
    """Every field, and every language of a localised field, the bodies hold."""
    out = set()
    for body in (ancestor, *(b for _, b in leaves)):
        for name, value in body.items():
            if name in ("stock", "updated_at", "type"):
                continue
            out.add((name,))
            if isinstance(value, dict):
                out |= {(name, lang) for lang in value}
    return out


@PROPERTY
@given(conflict())
def test_a_change_made_on_one_side_only_is_always_kept(case):
    ancestor, leaves = case
    merged = resolution.product_edit(leaves, ancestor)
    for path in _paths(ancestor, leaves):
        base = _value(ancestor, path)
        changed = [v for v in (_value(b, path) for _, b in leaves) if v != base]
        if len(changed) != 1:
            continue
        parent = path[:-1]
        # A language inside a text that another branch removed whole follows the text.
        if parent and any(_value(b, parent) is MISSING for _, b in leaves):
            continue
        assert _value(merged, path) == changed[0] or (
            # a text changed on two sides in different languages: the other side's
            # removal of this very language is also a one-side change, so it stands
            changed[0] is MISSING and _value(merged, path) is MISSING
        ), path


@PROPERTY
@given(conflict())
def test_settling_again_changes_nothing(case):
    ancestor, leaves = case
    merged = resolution.product_edit(leaves, ancestor)
    assert resolution.product_edit([("3-a", merged)], ancestor) == merged
    # A branch that changed nothing adds nothing.
    assert resolution.product_edit([("3-a", merged), ("2-z", ancestor)], ancestor) == merged


def test_a_title_and_a_description_edited_apart_both_survive():
    ancestor = {
        "type": "product",
        "title": {"fr": "Tapis", "ar": "زربية"},
        "description": {"fr": "Laine"},
        "updated_at": "2026-12-01T08:00:00Z",
    }
    coordinator = {**ancestor, "title": {"fr": "Tapis berbère", "ar": "زربية"}}
    coordinator["updated_at"] = "2026-12-01T10:00:00Z"
    phone = {**ancestor, "description": {"fr": "Laine de mouton"}}
    phone["updated_at"] = "2026-12-01T09:00:00Z"
    for leaves in itertools.permutations([("2-a", coordinator), ("2-b", phone)]):
        merged = resolution.product_edit(list(leaves), ancestor)
        assert merged["title"] == {"fr": "Tapis berbère", "ar": "زربية"}
        assert merged["description"] == {"fr": "Laine de mouton"}
        assert merged["updated_at"] == "2026-12-01T10:00:00Z"


def test_the_same_language_changed_on_both_sides_takes_the_later_edit():
    ancestor = {"type": "product", "title": {"fr": "Tapis", "ar": "زربية"}, "updated_at": "1"}
    early = {**ancestor, "title": {"fr": "Tapis A", "ar": "زربية"}, "updated_at": "2"}
    late = {**ancestor, "title": {"fr": "Tapis B", "ar": "زربية جديدة"}, "updated_at": "3"}
    merged = resolution.product_edit([("2-a", early), ("2-b", late)], ancestor)
    assert merged["title"] == {"fr": "Tapis B", "ar": "زربية جديدة"}


def _store(path):
    db = connect(path)
    migrations.migrate(db)
    return document_store(db, load_settings({"env": "testing"}))


def _revs(body: dict, start: int, ids: list[str]) -> dict:
    return {**body, "_rev": f"{start}-{ids[0]}", "_revisions": {"start": start, "ids": ids}}


@settings(PROPERTY, max_examples=25 if not PROFILE else 200)
@given(conflict())
def test_two_servers_settling_the_same_conflict_write_the_same_revision(tmp_path_factory, case):
    ancestor, leaves = case
    stores = [_store(tmp_path_factory.mktemp("s") / "s.sqlite3") for _ in range(2)]
    root = {**ancestor, "_id": "product:x"}
    docs = [_revs(root, 1, ["root"])]
    docs += [
        _revs({**body, "_id": "product:x"}, 2, [f"b{n}", "root"])
        for n, (_, body) in enumerate(leaves)
    ]
    winners = []
    for store in stores:
        store.bulk_docs(docs, new_edits=False)
        first = resolution.resolve(store, ["product:x"], clock=lambda: 0.0)
        assert first.resolved == ["product:x"]
        seq = store.update_seq()
        again = resolution.resolve(store, ["product:x"], clock=lambda: 0.0)
        assert again.resolved == [] and store.update_seq() == seq  # nothing to settle
        row = store.row("product:x")
        winners.append((row.winner, store.body("product:x", row.winner)))
        store.db.close()
    assert winners[0] == winners[1]
