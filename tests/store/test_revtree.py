"""Revision trees: CouchDB's documented cases, then the algebra as Hypothesis properties."""

import base64
import hashlib
import json
from functools import reduce

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sync.store.revtree import (
    InvalidRev,
    Node,
    Tree,
    ancestry,
    conflicts,
    deleted_conflicts,
    find_leaf_for,
    is_deleted,
    leaves,
    merge_path,
    new_rev_id,
    parse_rev,
    path_from_revisions,
    revs_diff,
    stem,
    to_revisions,
    tree_from_json,
    tree_to_json,
    winner,
)

PROPERTY = settings(max_examples=100, deadline=None)


def build(*paths: tuple[str, bool]) -> Tree:
    """A tree from space-separated paths, newest first, each with its leaf's deleted flag."""
    tree: Tree = {}
    for path, deleted in paths:
        tree, _ = merge_path(tree, path.split(), deleted)
    return tree


def merge_all(arrivals: list[tuple[list[str], bool]]) -> Tree:
    return reduce(lambda tree, arrival: merge_path(tree, *arrival)[0], arrivals, {})


def rank(tree: Tree, rev: str) -> tuple[bool, int, str]:
    pos, rev_hash = parse_rev(rev)
    return not tree[rev].deleted, pos, rev_hash


# --- strategies ---------------------------------------------------------------------------


@st.composite
def histories(draw: st.DrawFn, max_edits: int = 14) -> Tree:
    """An edit history: each edit extends a random revision, sometimes none (a new root)."""
    tree: Tree = {}
    for _ in range(draw(st.integers(1, max_edits))):
        revs = sorted(tree, key=parse_rev)
        # Index 0 starts a new root: rarer than extending as the tree grows, as in real use.
        index = draw(st.integers(0, len(revs)))
        parent = revs[index - 1] if index else None
        pos = 1 if parent is None else parse_rev(parent)[0] + 1
        # A tiny hash alphabet makes two devices hit the same revision, and branch points.
        rev = f"{pos}-{draw(st.sampled_from('abc'))}"
        # Real ids hash their parent, so an id already taken is that same edit again.
        if rev not in tree:
            tree[rev] = Node(parent, draw(st.booleans()))
    return tree


@st.composite
def deliveries(draw: st.DrawFn) -> tuple[Tree, list[tuple[list[str], bool]]]:
    """A history and paths from it as replication delivers them: any revision, maybe stemmed."""
    history = draw(histories())
    sent = draw(st.lists(st.sampled_from(sorted(history)), min_size=1, max_size=8))
    arrivals = []
    for rev in sent:
        path = ancestry(history, rev)
        kept = draw(st.integers(1, len(path)))
        arrivals.append((path[:kept], history[rev].deleted))
    return history, arrivals


# --- parse_rev and path_from_revisions -----------------------------------------------------


@pytest.mark.parametrize(
    ("rev", "parsed"),
    [("3-abc", (3, "abc")), ("1-a", (1, "a")), ("12-a-b", (12, "a-b"))],
)
def test_parse_rev(rev, parsed):
    assert parse_rev(rev) == parsed


@pytest.mark.parametrize(
    "rev",
    ["", "abc", "-abc", "3-", "0-abc", "-1-abc", "x-abc", "1.5-a", "03-a", " 3-a", "٣-a", 3, None],
)
def test_parse_rev_rejects_malformed(rev):
    with pytest.raises(InvalidRev):
        parse_rev(rev)


def test_invalid_rev_is_a_value_error():
    assert issubclass(InvalidRev, ValueError)


def test_path_from_revisions():
    assert path_from_revisions({"start": 3, "ids": ["c", "b", "a"]}) == ["3-c", "2-b", "1-a"]
    # A stemmed history starts above 1.
    assert path_from_revisions({"start": 7, "ids": ["g", "f"]}) == ["7-g", "6-f"]


@pytest.mark.parametrize(
    "revisions",
    [
        None,
        [],
        {"ids": ["a"]},
        {"start": 1},
        {"start": True, "ids": ["a"]},
        {"start": "2", "ids": ["b", "a"]},
        {"start": 0, "ids": ["a"]},
        {"start": 1, "ids": ["b", "a"]},
        {"start": 1, "ids": []},
        {"start": 1, "ids": [""]},
        {"start": 2, "ids": ["b", 1]},
    ],
)
def test_path_from_revisions_rejects_malformed(revisions):
    with pytest.raises(InvalidRev):
        path_from_revisions(revisions)


# --- merge_path ----------------------------------------------------------------------------


def test_merge_first_edit_extension_and_conflict():
    tree, changed = merge_path({}, ["1-a"], False)
    assert changed and tree == {"1-a": Node(None, False)}
    tree, changed = merge_path(tree, ["2-b", "1-a"], False)
    assert changed and leaves(tree) == ["2-b"]
    tree, changed = merge_path(tree, ["2-c", "1-a"], False)
    assert changed and leaves(tree) == ["2-c", "2-b"]


def test_merge_is_idempotent_and_does_not_mutate():
    tree = build(("2-b 1-a", False))
    snapshot = dict(tree)
    again, changed = merge_path(tree, ["2-b", "1-a"], False)
    assert not changed and again == tree
    merge_path(tree, ["3-c", "2-b", "1-a"], True)
    assert tree == snapshot


def test_merge_never_rewrites_an_existing_leaf():
    tree = build(("2-b 1-a", False))
    again, changed = merge_path(tree, ["2-b", "1-a"], True)
    assert not changed and again["2-b"].deleted is False


def test_merge_learns_the_flag_of_a_revision_known_only_as_an_ancestor():
    # 2-b was deleted, then undeleted by 3-c: a path carries no flag for 2-b.
    tree = build(("3-c 2-b 1-a", False))
    tree, changed = merge_path(tree, ["2-b", "1-a"], True)
    assert changed and tree["2-b"] == Node("1-a", True)
    assert tree == build(("2-b 1-a", True), ("3-c 2-b 1-a", False))


def test_merge_attaches_a_stemmed_root():
    tree = build(("4-d 3-c", False))
    assert tree["3-c"].parent is None
    tree, changed = merge_path(tree, ["4-d", "3-c", "2-b", "1-a"], False)
    assert changed and ancestry(tree, "4-d") == ["4-d", "3-c", "2-b", "1-a"]


def test_merge_keeps_history_when_a_path_claims_another_parent():
    tree = build(("2-b 1-a", False))
    again, changed = merge_path(tree, ["3-c", "2-b", "1-x"], False)
    assert changed and again["2-b"].parent == "1-a" and "1-x" not in again


@pytest.mark.parametrize("path", [[], ["3-c", "1-a"], ["1-a", "2-b"], ["2-b", "bad"]])
def test_merge_rejects_paths_that_are_not_chains(path):
    with pytest.raises(InvalidRev):
        merge_path({}, path, False)


# --- winner and conflicts ------------------------------------------------------------------


def test_live_beats_deleted_even_when_shorter():
    tree = build(("2-a 1-a", True), ("1-b", False))
    assert winner(tree) == "1-b"
    assert not is_deleted(tree)
    assert deleted_conflicts(tree) == ["2-a"] and conflicts(tree) == []


def test_equal_positions_compare_hash_strings():
    tree = build(("3-a 2-x 1-x", False), ("3-b 2-x 1-x", False))
    assert winner(tree) == "3-b" and conflicts(tree) == ["3-a"]


def test_longer_branch_wins_over_greater_hash():
    tree = build(("3-a 2-a 1-a", False), ("2-z 1-a", False))
    assert winner(tree) == "3-a" and conflicts(tree) == ["2-z"]


def test_all_deleted_picks_the_best_tombstone():
    tree = build(("2-a 1-a", True), ("2-b 1-a", True))
    assert winner(tree) == "2-b" and is_deleted(tree)
    assert conflicts(tree) == [] and deleted_conflicts(tree) == ["2-a"]


def test_conflicts_in_couchdb_order():
    tree = build(*((f"2-{h} 1-a", False) for h in "cadb"), ("2-e 1-a", True))
    assert winner(tree) == "2-d"
    assert conflicts(tree) == ["2-c", "2-b", "2-a"]
    assert deleted_conflicts(tree) == ["2-e"]
    assert leaves(tree) == ["2-d", "2-c", "2-b", "2-a", "2-e"]


def test_empty_tree_has_no_winner():
    with pytest.raises(ValueError):
        winner({})
    assert leaves({}) == [] and conflicts({}) == []


# --- ancestry, to_revisions, find_leaf_for, revs_diff --------------------------------------


def test_ancestry_and_to_revisions():
    tree = build(("3-c 2-b 1-a", False))
    assert ancestry(tree, "3-c") == ["3-c", "2-b", "1-a"]
    assert to_revisions(tree, "3-c") == {"start": 3, "ids": ["c", "b", "a"]}
    assert to_revisions(tree, "3-c", limit=2) == {"start": 3, "ids": ["c", "b"]}
    assert to_revisions(tree, "2-b") == {"start": 2, "ids": ["b", "a"]}
    with pytest.raises(KeyError):
        ancestry(tree, "9-z")
    with pytest.raises(ValueError):
        to_revisions(tree, "3-c", limit=0)


def test_find_leaf_for():
    tree = build(("3-c 2-b 1-a", False), ("3-d 2-b 1-a", True), ("2-e 1-a", False))
    assert find_leaf_for(tree, "2-b") == ["3-c", "3-d"]
    assert find_leaf_for(tree, "1-a") == ["3-c", "2-e", "3-d"]
    assert find_leaf_for(tree, "2-e") == ["2-e"]
    assert find_leaf_for(tree, "5-x") == []


def test_revs_diff():
    tree = build(("3-c 2-b 1-a", False), ("2-e 1-a", False))
    assert revs_diff(tree, ["3-c", "1-a"]) == ([], [])
    # Leaves below some missing revision are its possible ancestors; 3-c is not below 3-x.
    assert revs_diff(tree, ["3-x", "2-b", "3-x"]) == (["3-x"], ["2-e"])
    assert revs_diff(tree, ["4-y", "1-z"]) == (["4-y", "1-z"], ["3-c", "2-e"])
    assert revs_diff({}, ["2-b", "1-a"]) == (["2-b", "1-a"], [])
    with pytest.raises(InvalidRev):
        revs_diff(tree, ["nope"])


# --- stem ----------------------------------------------------------------------------------


def test_stem_to_limit():
    tree = build(("4-d 3-c 2-b 1-a", False))
    assert stem(tree, 2) == {"4-d": Node("3-c", False), "3-c": Node(None, False)}
    assert stem(tree, 10) == tree
    with pytest.raises(ValueError):
        stem(tree, 0)


def test_stem_keeps_an_ancestor_shared_with_a_shorter_branch():
    # As couch_key_tree:stem/2: 2-b is kept for 3-e, so 3-c stays attached to it.
    tree = build(("4-d 3-c 2-b 1-a", False), ("3-e 2-b 1-a", False))
    stemmed = stem(tree, 2)
    assert set(stemmed) == {"4-d", "3-c", "3-e", "2-b"}
    assert stemmed["2-b"].parent is None and stemmed["3-c"].parent == "2-b"


# --- new_rev_id ----------------------------------------------------------------------------


def test_new_rev_id_hashes_canonical_json():
    # Pinned bytes: any client (the Android app too) can compute the same id.
    expected = hashlib.md5('[false,null,{"a":1,"name":"زربية"}]'.encode()).hexdigest()
    assert new_rev_id(None, {"name": "زربية", "a": 1}, False) == f"1-{expected}"
    child = new_rev_id("1-abc", {"a": 1}, True)
    assert child == "2-" + hashlib.md5(b'[true,"1-abc",{"a":1}]').hexdigest()


def test_new_rev_id_ignores_underscore_fields_but_not_content():
    body = {"title": "tajine", "price": 120}
    same = {"_id": "p1", "_rev": "1-x", "_revisions": {}, "price": 120, "title": "tajine"}
    assert new_rev_id("1-x", body, False) == new_rev_id("1-x", same, False)
    assert new_rev_id("1-x", body, False) != new_rev_id("1-x", body, True)
    assert new_rev_id("1-x", body, False) != new_rev_id("1-y", body, False)
    assert new_rev_id(None, body, False) == new_rev_id(None, {**body, "_attachments": {}}, False)


def test_new_rev_id_reduces_attachments_to_their_digest():
    data = b"\x89PNG carpet"
    digest = "md5-" + base64.b64encode(hashlib.md5(data).digest()).decode()
    stub = {"_attachments": {"a.png": {"stub": True, "digest": digest, "revpos": 3}}}
    inline = {"_attachments": {"a.png": {"data": base64.b64encode(data).decode()}}}
    other = {"_attachments": {"a.png": {"stub": True, "digest": "md5-other"}}}
    assert new_rev_id("2-x", stub, False) == new_rev_id("2-x", inline, False)
    assert new_rev_id("2-x", stub, False) != new_rev_id("2-x", other, False)
    with pytest.raises(ValueError):
        new_rev_id("2-x", {"_attachments": {"a.png": {"stub": True}}}, False)


# --- JSON form -----------------------------------------------------------------------------


def test_tree_json_form():
    tree = build(("2-b 1-a", True))
    assert tree_to_json(tree) == {"1-a": [None, False], "2-b": ["1-a", True]}


@pytest.mark.parametrize(
    "obj",
    [
        [],
        {"bad": [None, False]},
        {"1-a": [None]},
        {"1-a": "x"},
        {"1-a": [None, 0]},
        {"2-b": ["1-a", False]},
        {"1-a": [None, False], "3-c": ["1-a", False]},
        {"1-a": [None, False], "2-b": [7, False]},
    ],
)
def test_tree_from_json_rejects_malformed(obj):
    with pytest.raises(ValueError):
        tree_from_json(obj)


# --- properties ----------------------------------------------------------------------------


@PROPERTY
@given(st.data())
def test_merge_is_order_independent(data):
    _, arrivals = data.draw(deliveries())
    shuffled = data.draw(st.permutations(arrivals))
    merged = merge_all(arrivals)
    assert merge_all(shuffled) == merged
    assert winner(merge_all(shuffled)) == winner(merged)


@PROPERTY
@given(deliveries())
def test_merge_is_idempotent(delivery):
    _, arrivals = delivery
    merged = merge_all(arrivals)
    for path, deleted in arrivals:
        again, changed = merge_path(merged, path, deleted)
        assert not changed and again == merged
    assert merge_all(arrivals + arrivals) == merged


@PROPERTY
@given(histories())
def test_merging_histories_rebuilds_the_tree(history):
    tips = leaves(history)
    merged = merge_all([(ancestry(history, leaf), history[leaf].deleted) for leaf in tips])
    assert {rev: node.parent for rev, node in merged.items()} == {
        rev: node.parent for rev, node in history.items()
    }
    assert all(merged[leaf] == history[leaf] for leaf in tips)
    # Once every revision has arrived as itself, the flags of inner ones are known too.
    assert merge_all([(ancestry(history, rev), history[rev].deleted) for rev in history]) == history


@PROPERTY
@given(histories())
def test_winner_is_the_best_leaf_and_conflicts_partition_the_rest(tree):
    best = winner(tree)
    tips = leaves(tree)
    assert best in tips and all(rank(tree, leaf) <= rank(tree, best) for leaf in tips)
    assert is_deleted(tree) == tree[best].deleted
    live, dead = conflicts(tree), deleted_conflicts(tree)
    assert best not in live and best not in dead
    assert not any(tree[rev].deleted for rev in live) and all(tree[rev].deleted for rev in dead)
    assert sorted([best, *live, *dead]) == sorted(tips)
    assert live == sorted(live, key=lambda rev: rank(tree, rev), reverse=True)


@PROPERTY
@given(histories(), st.integers(1, 5))
def test_stem_keeps_leaves_and_their_last_revisions(tree, limit):
    stemmed = stem(tree, limit)
    assert leaves(stemmed) == leaves(tree)
    assert all(stemmed[leaf].deleted == tree[leaf].deleted for leaf in leaves(tree))
    kept: set[str] = set()
    for leaf in leaves(tree):
        recent = ancestry(tree, leaf)[:limit]
        assert ancestry(stemmed, leaf)[:limit] == recent
        kept.update(recent)
    # Nothing survives that no leaf needs, and no link is invented.
    assert set(stemmed) == kept
    assert len(stemmed) <= limit * len(leaves(tree))
    assert all(stemmed[rev].parent in (None, tree[rev].parent) for rev in stemmed)
    assert stem(stemmed, limit) == stemmed
    assert winner(stemmed) == winner(tree) and conflicts(stemmed) == conflicts(tree)
    assert tree_from_json(tree_to_json(stemmed)) == stemmed


@PROPERTY
@given(histories(), st.integers(1, 5))
def test_stemmed_paths_merge_back_into_a_stemmed_tree(tree, limit):
    stemmed = stem(tree, limit)
    for leaf in leaves(tree):
        again, changed = merge_path(stemmed, ancestry(tree, leaf)[:limit], tree[leaf].deleted)
        assert not changed and again == stemmed


@PROPERTY
@given(histories())
def test_revisions_round_trip(tree):
    for rev in tree:
        assert path_from_revisions(to_revisions(tree, rev)) == ancestry(tree, rev)
        assert path_from_revisions(to_revisions(tree, rev, limit=2)) == ancestry(tree, rev)[:2]


@PROPERTY
@given(histories(), st.lists(st.builds("{}-{}".format, st.integers(1, 6), st.sampled_from("abcd"))))
def test_revs_diff_reports_exactly_the_unknown_revs(tree, revs):
    missing, ancestors = revs_diff(tree, revs)
    assert missing == list(dict.fromkeys(rev for rev in revs if rev not in tree))
    highest = max((parse_rev(rev)[0] for rev in missing), default=0)
    assert ancestors == [leaf for leaf in leaves(tree) if parse_rev(leaf)[0] < highest]


@PROPERTY
@given(histories())
def test_find_leaf_for_returns_exactly_the_descendant_leaves(tree):
    for rev in tree:
        found = find_leaf_for(tree, rev)
        assert set(found) == {leaf for leaf in leaves(tree) if rev in ancestry(tree, leaf)}
        assert (rev in found) == (rev in leaves(tree))


@PROPERTY
@given(histories())
def test_tree_json_round_trip(tree):
    text = json.dumps(tree_to_json(tree))
    assert tree_from_json(json.loads(text)) == tree


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)
bodies = st.dictionaries(
    st.text(max_size=8).filter(lambda key: not key.startswith("_")), json_values, max_size=4
)


@settings(max_examples=60, deadline=None)
@given(bodies, bodies, st.sampled_from([None, "1-a", "7-f00"]), st.booleans())
def test_new_rev_id_is_deterministic_and_follows_the_body(body, other, parent, deleted):
    rev = new_rev_id(parent, body, deleted)
    assert rev == new_rev_id(parent, dict(reversed(list(body.items()))), deleted)
    assert parse_rev(rev)[0] == (1 if parent is None else parse_rev(parent)[0] + 1)
    if body != other:
        assert new_rev_id(parent, other, deleted) != rev
