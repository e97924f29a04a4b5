"""A bulk order shared out offline (two coordinators' devices assigning parts, artisans
answering and making them on their phones, pieces checked, shipped and delivered on
whichever device was at hand), its revisions delivered to two servers in any order and
any batches: the totals always add up, on every server and phone (issue 18, "Done
when"), and each artisan's balance in ``earning_entries`` is ``balance`` of her entries.
"""

from __future__ import annotations

import os
import tempfile
from collections import defaultdict
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api.migrations import migrate
from api.services.bulk import projection
from api.stores import document_store
from sync.rules.bulk_totals import PIECE_STATES, balance, earned_entry, totals
from sync.rules.resolution import resolve
from sync.store import revtree
from sync.store.database import connect
from tests.support.bulk import (
    BUYER,
    COORDINATOR,
    SHARE,
    branch,
    bulk_doc,
    check_doc,
    correction_doc,
    delivered,
    moved,
    part_doc,
    payment_doc,
    revisions,
    shipment_doc,
)

PROFILE = os.environ.get("HYPOTHESIS_PROFILE")
PROPERTY = settings(
    settings.get_profile(PROFILE) if PROFILE else settings(max_examples=80),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
BULK_ID = "bulk:0001"
DEVICES = (COORDINATOR, "coo_samira")  # two coordinators of the cooperative, offline apart
ARTISAN_POOL = ("art_fatima", "art_khadija", "art_ghita", "art_hafsa")
# What the artisan's phone may do next from each status of her part.
ARTISAN_MOVES = {
    "placed": ("accepted", "declined"),
    "accepted": ("in_production", "ready"),
    "in_production": ("ready",),
}
# Weighted by repetition: parts are assigned and moved more often than money changes hands.
ACTIONS = (
    *("assign",) * 3,
    *("answer",) * 4,
    "cancel",
    *("check",) * 3,
    *("ship",) * 4,
    *("deliver",) * 3,
    "pay",
    "correct",
)


def _at(tick: int) -> str:
    return f"2026-12-{1 + tick // 1440:02d}T{tick // 60 % 24:02d}:{tick % 60:02d}:00Z"


@st.composite
def schedules(draw) -> tuple[int, list[dict[str, Any]]]:
    """(pieces ordered, every revision the devices made), from a random offline schedule."""
    quantity = draw(st.integers(1, 60))
    artisans = ARTISAN_POOL[: draw(st.integers(1, 4))]
    out: list[dict[str, Any]] = []
    accepted = bulk_doc(BULK_ID, quantity=quantity)
    requested = bulk_doc(BULK_ID, status="requested", quantity=quantity)
    out += revisions(BULK_ID, [requested, accepted])
    phones: dict[str, list[dict]] = {}  # part id -> the artisan phone's line of revisions
    passed: dict[str, int] = defaultdict(int)  # part id -> pieces passed, as devices saw them
    shipments: dict[str, dict] = {}  # shipment id -> its first revision
    entries: list[str] = []
    shared = dict.fromkeys(DEVICES, 0)  # pieces each coordinator's device has assigned
    # A few parts first, as a coordinator shares out a new order; then anything, anywhere.
    schedule = ["assign"] * draw(st.integers(1, 6))
    schedule += draw(st.lists(st.sampled_from(ACTIONS), min_size=4, max_size=40))
    for tick, action in enumerate(schedule):
        at, device = _at(tick + 600), draw(st.sampled_from(DEVICES))
        if action == "assign":
            part_id = f"order:{device}-{tick}"
            body = part_doc(
                part_id,
                BULK_ID,
                draw(st.sampled_from(artisans)),
                # what is left as her device sees it; once it sees none, anything
                draw(st.integers(1, quantity - shared[device] or quantity)),
                by=device,
                at=at,
            )
            shared[device] = min(shared[device] + body["quantity"], quantity)
            phones[part_id] = revisions(part_id, [body])
            out += phones[part_id]
        elif action == "answer" and phones:
            part_id = draw(st.sampled_from(sorted(phones)))
            line = phones[part_id]
            nexts = ARTISAN_MOVES.get(line[-1]["status"], ())
            if nexts:
                body = moved(
                    line[-1], draw(st.sampled_from(nexts)), line[-1]["artisan"], "artisan", at
                )
                line.append(branch(part_id, line, body))
                out.append(line[-1])
        elif action == "cancel" and phones:
            # The coordinator takes a part back while she still sees it placed: a branch
            # from the placed revision, which the artisan's answer may race.
            part_id = draw(st.sampled_from(sorted(phones)))
            first = phones[part_id][:1]
            out.append(
                branch(part_id, first, moved(first[0], "cancelled", device, "coordinator", at))
            )
        elif action == "check" and phones:
            part_id = draw(st.sampled_from(sorted(phones)))
            part = phones[part_id][0]
            good = draw(st.integers(0, part["quantity"]))
            bad = draw(
                st.integers(0 if good else 1, max(part["quantity"] - good, 0 if good else 1))
            )
            body = check_doc(
                f"check:{device}-{tick}",
                part_id,
                part["artisan"],
                good,
                bad,
                BULK_ID,
                device,
                at=at,
            )
            out += revisions(body["_id"], [body])
            passed[part_id] += good
        elif action == "ship" and any(passed.values()):
            ready = sorted(p for p, n in passed.items() if n)
            chosen = draw(st.lists(st.sampled_from(ready), min_size=1, unique=True))
            lines = [(p, phones[p][0]["artisan"], draw(st.integers(1, passed[p]))) for p in chosen]
            body = shipment_doc(f"shipment:{device}-{tick}", lines, BULK_ID, device, shipped_at=at)
            out += revisions(body["_id"], [body])
            shipments[body["_id"]] = out[-1]
            # What each line earned her, written by the server that settles the shipment;
            # both servers may settle it: the same body, the same revision.
            for line in body["pieces"]:
                doc_id, earned = earned_entry(body, line, SHARE)
                out += revisions(doc_id, [earned]) * draw(st.integers(1, 2))
                entries.append(doc_id)
        elif action == "deliver" and shipments:
            shipment_id = draw(st.sampled_from(sorted(shipments)))
            who = draw(st.sampled_from((BUYER, device)))
            first = shipments[shipment_id]
            out.append(branch(shipment_id, [first], delivered(first, who, at)))
        elif action == "pay":
            body = payment_doc(
                f"earning:pay-{tick}",
                draw(st.sampled_from(artisans)),
                draw(st.integers(1, 10**6)),
                draw(st.sampled_from(("cash", "transfer", "mobile_money"))),
                "REF-1",
                device,
                at=at,
            )
            out += revisions(body["_id"], [body])
            entries.append(body["_id"])
        elif action == "correct" and entries:
            body = correction_doc(
                f"earning:fix-{tick}",
                draw(st.sampled_from(artisans)),
                draw(st.integers(-(10**5), 10**5).filter(bool)),
                draw(st.sampled_from(entries)),
                by=device,
                at=at,
            )
            out += revisions(body["_id"], [body])
    return quantity, out


# The phone's view: CouchDB's winner among the revisions it holds, as PouchDB picks it.


def phone_winners(revs: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    by_doc: dict[str, dict[str, dict]] = defaultdict(dict)
    for rev in revs:
        by_doc[rev["_id"]][rev["_rev"]] = rev
    found = {}
    for doc_id, known in by_doc.items():
        parents = {
            f"{r['_revisions']['start'] - 1}-{r['_revisions']['ids'][1]}"
            for r in known.values()
            if len(r["_revisions"]["ids"]) > 1
        }
        leaves = [rev for rev in known if rev not in parents]
        best = max(leaves, key=lambda rev: (revtree.parse_rev(rev)[0], rev))
        found[doc_id] = {k: v for k, v in known[best].items() if not k.startswith("_")}
        found[doc_id]["_id"] = doc_id
    return found


def figures_of(docs: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """``totals`` over the bulk order's documents among ``docs``."""
    members = [d for d in docs.values() if d.get("bulk_order") == BULK_ID]
    return totals(
        docs[BULK_ID],
        [d for d in members if d.get("type") == "order"],
        [d for d in members if d.get("type") == "piece_check"],
        [d for d in members if d.get("type") == "shipment"],
    )


# A server.


def _server(root: Path, name: str):
    db = connect(root / f"{name}.db")
    migrate(db)
    return document_store(db)


def _deliver(store, revs: list[dict[str, Any]], data) -> None:
    order = data.draw(st.permutations(revs))
    cuts = sorted(data.draw(st.sets(st.integers(1, max(1, len(order) - 1)), max_size=5)))
    for start, end in zip([0, *cuts], [*cuts, len(order)], strict=True):
        results = store.bulk_docs(order[start:end], new_edits=False)
        assert all("error" not in r for r in results), results


def server_figures(store) -> dict[str, Any]:
    """``totals`` as the server computes them: the bulk order's members from
    ``bulk_members``, their winning revisions from the store."""
    bodies = {BULK_ID: {**store.winner_body(BULK_ID), "_id": BULK_ID}}
    for doc_id, _kind in store.db.execute(
        "SELECT doc_id, kind FROM bulk_members WHERE bulk_id = ?", [BULK_ID]
    ):
        bodies[doc_id] = {**store.winner_body(doc_id), "_id": doc_id}
    return figures_of(bodies)


def server_winners(store) -> dict[str, dict[str, Any]]:
    found = {}
    for (doc_id,) in store.db.execute("SELECT id FROM docs WHERE deleted = 0"):
        found[doc_id] = {**store.winner_body(doc_id), "_id": doc_id}
    return found


def balances_table(store) -> dict[str, int]:
    return dict(
        store.db.execute(
            "SELECT artisan, SUM(signed_centimes) FROM earning_entries GROUP BY artisan"
        ).fetchall()
    )


def balances_of(docs: dict[str, dict[str, Any]]) -> dict[str, int]:
    mine: dict[str, list[dict]] = defaultdict(list)
    for doc in docs.values():
        if doc.get("type") == "earning":
            mine[doc["artisan"]].append(doc)
    return {artisan: balance(entries) for artisan, entries in mine.items()}


def assert_adds_up(result: dict[str, Any]) -> None:
    figures, problems = result["figures"], result["problems"]
    assert all(isinstance(v, int) and v >= 0 for v in figures.values()), figures
    assert sum(figures[name] for name in PIECE_STATES) == figures["assigned"], figures
    assert figures["assigned"] + figures["to_assign"] - figures["excess"] == figures["quantity"], (
        figures
    )
    excess = [p for p in problems if p["code"] == "excess"]
    assert bool(excess) == (figures["assigned"] > figures["quantity"]), (figures, problems)
    if excess:
        assert excess == [{"code": "excess", "pieces": figures["excess"]}]
    rows = list(result["per_part"].values())
    for name in (*PIECE_STATES, "refused", "assigned"):
        assert sum(row.get(name, 0) for row in rows) == figures[name], name


def expected_from_spec(docs: dict[str, dict[str, Any]]) -> dict[str, int]:
    """The figures the docs describe, piece by piece: each live part's pieces, refused
    first, then passed, shipped and delivered, each capped by the step before."""
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for doc in docs.values():
        if doc.get("type") == "piece_check":
            counts[doc["part"]][0] += doc["refused"]
            counts[doc["part"]][1] += doc["passed"]
        if doc.get("type") == "shipment":
            for line in doc["pieces"]:
                counts[line["part"]][2] += line["count"]
                if doc["status"] == "delivered":
                    counts[line["part"]][3] += line["count"]
    out = dict.fromkeys(("assigned", "refused", "delivered", "ended"), 0)
    for doc_id, doc in docs.items():
        if doc.get("type") != "order":
            continue
        if doc["status"] in ("declined", "cancelled"):
            out["ended"] += 1
            continue
        refused, good, sent, arrived = counts[doc_id]
        refused = min(refused, doc["quantity"])
        good = min(good, doc["quantity"] - refused)
        out["refused"] += refused
        out["assigned"] += doc["quantity"] - refused
        out["delivered"] += min(arrived, sent, good)
    return out


@PROPERTY
@given(schedule=schedules(), data=st.data())
def test_property_bulk_totals_add_up_on_every_server_and_phone(schedule, data):
    quantity, revs = schedule
    with tempfile.TemporaryDirectory() as tmp:
        servers = [_server(Path(tmp), "a"), _server(Path(tmp), "b")]
        try:
            for store in servers:
                _deliver(store, revs, data)
            phone = phone_winners(revs)
            on_phone = figures_of(phone)
            assert on_phone["figures"]["quantity"] == quantity
            assert_adds_up(on_phone)
            expected = expected_from_spec(phone)
            assert {k: on_phone["figures"][k] for k in ("assigned", "refused", "delivered")} == {
                k: expected[k] for k in ("assigned", "refused", "delivered")
            }
            ended = [
                r for r in on_phone["per_part"].values() if r["status"] in ("declined", "cancelled")
            ]
            assert len(ended) == expected["ended"]
            for store in servers:
                assert server_winners(store) == phone
                on_server = server_figures(store)
                assert_adds_up(on_server)
                assert on_server == on_phone
                assert balances_table(store) == balances_of(phone)
            # The servers settle their conflicts by the rules (the replicator's resolution):
            # each alike, so they stay in step and the figures still add up.
            settled = []
            for store in servers:
                resolve(store, sorted(phone))
                settled.append(
                    (server_winners(store), server_figures(store), balances_table(store))
                )
                assert_adds_up(settled[-1][1])
                assert settled[-1][2] == balances_of(settled[-1][0])
            assert settled[0] == settled[1]
            # Rebuilt from the documents alone, the tables say the same.
            a = servers[0]
            before = set(a.db.execute("SELECT doc_id, bulk_id, kind FROM bulk_members"))
            projection.rebuild(a.db)
            assert set(a.db.execute("SELECT doc_id, bulk_id, kind FROM bulk_members")) == before
            assert balances_table(a) == settled[0][2]
        finally:
            for store in servers:
                store.db.close()
