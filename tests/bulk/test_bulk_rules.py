"""Who sees and who writes a bulk order, its parts, checks, shipments and earning
entries, through the same access rules every path applies (sync/rules/access.py); and
what each refusal tells the person refused (issue 18)."""

from __future__ import annotations

import pytest

from sync.rules.access import channels_for, make_check
from sync.store.errors import WriteForbidden
from tests.support.bulk import (
    ARTISANS,
    BUYER,
    COOP,
    COORDINATOR,
    OTHER_COOP,
    PRICE,
    bulk_doc,
    check_doc,
    correction_doc,
    delivered,
    moved,
    part_doc,
    payment_doc,
    shipment_doc,
    step,
)
from tests.support.checked_store import user

ADMIN = user("adm_root", "admin")
NAIMA = user(COORDINATOR, "coordinator", COOP)
YOUSSEF = user("coo_youssef", "coordinator", OTHER_COOP)
FATIMA = user(ARTISANS[0], "artisan", COOP)
KHADIJA = user(ARTISANS[1], "artisan", COOP)
ZAHRA = user("art_zahra", "artisan", OTHER_COOP)
CLAIRE = user(BUYER, "buyer")
OTHER_BUYER = user("buy_other", "buyer")
LATER = "2026-12-02T09:00:00Z"
LATEST = "2026-12-03T09:00:00Z"

_COOPERATIVE_OF = {ARTISANS[0]: COOP, ARTISANS[1]: COOP, "art_zahra": OTHER_COOP}


def directory(artisan_id):
    return _COOPERATIVE_OF.get(artisan_id)


def allowed(who, old, new) -> None:
    make_check(who, directory)(new["_id"], old, new)


def refused(who, old, new, doc_id: str | None = None) -> str:
    with pytest.raises(WriteForbidden) as caught:
        make_check(who, directory)(doc_id or new.get("_id") or old["_id"], old, new)
    return str(caught.value)


def without(doc: dict, name: str) -> dict:
    return {k: v for k, v in doc.items() if k != name}


def tombstone(doc: dict) -> dict:
    return {"_id": doc["_id"], "_deleted": True}


# Channels.


def test_a_bulk_order_is_seen_by_its_cooperative_and_its_buyer_never_by_artisans():
    doc = bulk_doc()
    found = channels_for(doc["_id"], doc)
    assert found == {f"coop:{COOP}", f"buyer:{BUYER}"}
    assert not any(c.startswith("artisan:") for c in found)


def test_a_part_is_seen_by_its_artisan_and_cooperative_not_by_the_bulk_orders_buyer():
    doc = part_doc()
    assert channels_for(doc["_id"], doc) == {f"artisan:{ARTISANS[0]}", f"coop:{COOP}"}
    # The same order without bulk_order is the buyer's too: the part is what hides it.
    plain = {k: v for k, v in doc.items() if k != "bulk_order"}
    assert f"buyer:{BUYER}" in channels_for(plain["_id"], plain)


@pytest.mark.parametrize("doc", [check_doc(), payment_doc(), correction_doc()])
def test_checks_and_earnings_are_seen_by_the_cooperative_and_the_artisan(doc):
    assert channels_for(doc["_id"], doc) == {f"artisan:{ARTISANS[0]}", f"coop:{COOP}"}


def test_a_shipment_is_seen_by_the_cooperative_and_each_artisan_of_its_pieces_not_by_sync():
    # Its buyer reads it in the bulk order's view: a phone may write a shipment, and the
    # rules cannot check its `buyer` against the bulk order, so it routes nothing.
    doc = shipment_doc(lines=[("order:p1", ARTISANS[0], 2), ("order:p2", ARTISANS[1], 1)])
    assert channels_for(doc["_id"], doc) == {
        f"coop:{COOP}",
        f"artisan:{ARTISANS[0]}",
        f"artisan:{ARTISANS[1]}",
    }


# Parts.


def test_a_coordinator_assigns_a_part_offline_to_an_artisan_of_her_cooperative():
    allowed(NAIMA, None, part_doc())
    allowed(NAIMA, None, part_doc("order:part-2", artisan=ARTISANS[1], quantity=1))


@pytest.mark.parametrize(
    ("who", "doc", "says"),
    [
        (NAIMA, part_doc(artisan="art_zahra"), "'art_zahra' is not an artisan of this coop"),
        (NAIMA, part_doc(quantity=0), "quantity"),
        (NAIMA, without(part_doc(), "quantity"), "how many pieces she makes"),
        (NAIMA, {**part_doc(quantity=4), "total_centimes": 1}, "unit_price_centimes times"),
        (
            NAIMA,
            part_doc(history=[step("placed", "coo_other", "coordinator")]),
            "your own user id and role",
        ),
        (
            NAIMA,
            part_doc(status="accepted", history=[step("accepted", COORDINATOR, "coordinator")]),
            "first step's status is 'placed'",
        ),
        (NAIMA, part_doc("part-1"), "its id starts with 'order:'"),
        (YOUSSEF, part_doc(), "only a coordinator of the cooperative assigns parts"),
        (CLAIRE, part_doc(history=[step("placed", BUYER, "buyer")]), "only a coordinator"),
        (
            FATIMA,
            part_doc(history=[step("placed", ARTISANS[0], "artisan")]),
            "only a coordinator",
        ),
        (NAIMA, part_doc(stock_mode="in_stock"), "made to order"),
    ],
    ids=[
        "other-cooperatives-artisan",
        "no-pieces",
        "no-quantity",
        "wrong-total",
        "first-step-not-hers",
        "first-step-not-placed",
        "id-not-an-order",
        "other-cooperatives-coordinator",
        "buyer",
        "artisan",
        "stock-mode",
    ],
)
def test_a_part_is_refused_with_a_reason(who, doc, says):
    assert says in refused(who, None, doc)


def test_the_part_is_a_part_once_written():
    """A bulk_order cannot be added to a plain order, nor removed from a part."""
    part = part_doc()
    plain = {k: v for k, v in part.items() if k != "bulk_order"}
    assert "bulk_order cannot be changed" in refused(NAIMA, plain, part)
    assert "bulk_order cannot be changed" in refused(NAIMA, part, plain)


@pytest.mark.parametrize("answer", ["accepted", "declined"])
def test_the_artisan_answers_her_part(answer):
    part = part_doc()
    answered = moved(part, answer, FATIMA.id, "artisan", LATER)
    allowed(FATIMA, part, answered)
    # not another artisan's to answer
    other = moved(part, answer, KHADIJA.id, "artisan", LATER)
    assert "not a party to this order" in refused(KHADIJA, part, other)


def test_the_artisan_makes_her_part_and_the_coordinator_answers_for_her():
    part = part_doc()
    accepted = moved(part, "accepted", FATIMA.id, "artisan", LATER)
    making = moved(accepted, "in_production", FATIMA.id, "artisan", LATEST)
    allowed(FATIMA, accepted, making)
    ready = moved(making, "ready", COORDINATOR, "coordinator", LATEST)
    allowed(NAIMA, making, ready)


def test_the_coordinator_takes_back_a_part_not_yet_answered_not_one_accepted():
    part = part_doc()
    allowed(NAIMA, part, moved(part, "cancelled", COORDINATOR, "coordinator", LATER))
    accepted = moved(part, "accepted", FATIMA.id, "artisan", LATER)
    reason = refused(
        NAIMA, accepted, moved(accepted, "cancelled", COORDINATOR, "coordinator", LATEST)
    )
    assert "cannot move from 'accepted' to 'cancelled'" in reason


def test_the_artisan_cannot_cancel_her_part_nor_change_its_terms():
    part = part_doc()
    reason = refused(FATIMA, part, moved(part, "cancelled", FATIMA.id, "artisan", LATER))
    assert "is for the buyer" in reason
    accepted = moved(part, "accepted", FATIMA.id, "artisan", LATER)
    assert "quantity cannot be changed" in refused(FATIMA, part, {**accepted, "quantity": 9})


def test_the_bulk_orders_buyer_is_not_a_party_to_a_part():
    part = part_doc()
    reason = refused(CLAIRE, part, moved(part, "cancelled", BUYER, "buyer", LATER))
    assert "not a party to this order" in reason


# The bulk order itself.


@pytest.mark.parametrize("who", [CLAIRE, NAIMA, FATIMA])
def test_a_bulk_order_is_requested_over_rest_not_written_by_a_client(who):
    assert "POST /api/v1/bulk-orders" in refused(who, None, bulk_doc(status="requested"))


def test_an_admin_may_write_a_bulk_order():
    allowed(ADMIN, None, bulk_doc(status="requested"))


def _answered(old: dict, status: str, who, role: str, **fields) -> dict:
    return {**moved(old, status, who.id, role, LATER), **fields}


def test_the_coordinator_accepts_setting_the_artisans_share():
    request = bulk_doc(status="requested")
    allowed(
        NAIMA,
        request,
        _answered(request, "accepted", NAIMA, "coordinator", artisan_share_centimes=30_000),
    )
    reason = refused(NAIMA, request, _answered(request, "accepted", NAIMA, "coordinator"))
    assert "accepting sets the artisan's share" in reason
    too_much = _answered(
        request, "accepted", NAIMA, "coordinator", artisan_share_centimes=PRICE + 1
    )
    assert "cannot be more than the price per piece" in refused(NAIMA, request, too_much)
    # another cooperative's coordinator is no party to it
    theirs = _answered(request, "accepted", YOUSSEF, "coordinator", artisan_share_centimes=1)
    assert "not a party to this bulk order" in refused(YOUSSEF, request, theirs)


def test_the_coordinator_declines_and_the_buyer_cannot_accept():
    request = bulk_doc(status="requested")
    allowed(NAIMA, request, _answered(request, "declined", NAIMA, "coordinator"))
    self_served = _answered(request, "accepted", CLAIRE, "buyer", artisan_share_centimes=1)
    assert "is for the seller" in refused(CLAIRE, request, self_served)


def test_the_buyer_withdraws_a_request_but_not_an_accepted_order():
    request = bulk_doc(status="requested")
    allowed(CLAIRE, request, _answered(request, "cancelled", CLAIRE, "buyer"))
    assert "not a party" in refused(
        OTHER_BUYER, request, _answered(request, "cancelled", OTHER_BUYER, "buyer")
    )
    accepted = bulk_doc()
    reason = refused(CLAIRE, accepted, _answered(accepted, "cancelled", CLAIRE, "buyer"))
    assert "is for the seller" in reason


def test_the_coordinator_cancels_an_accepted_bulk_order():
    accepted = bulk_doc()
    allowed(NAIMA, accepted, _answered(accepted, "cancelled", NAIMA, "coordinator"))


@pytest.mark.parametrize(
    "change",
    [
        {"quantity": 30},
        {"unit_price_centimes": PRICE + 1},
        {"artisan_share_centimes": 1},
        {"buyer": "buy_other"},
        {"cooperative": OTHER_COOP},
        {"due": "2027-12-31"},
    ],
    ids=lambda change: next(iter(change)),
)
def test_a_bulk_orders_terms_never_change(change):
    accepted = bulk_doc()
    name = next(iter(change))
    assert f"{name} cannot be changed" in refused(NAIMA, accepted, {**accepted, **change})


def test_a_bulk_order_is_never_deleted():
    doc = bulk_doc()
    assert "decline or cancel it instead" in refused(NAIMA, doc, tombstone(doc))


# Piece checks.


def test_a_coordinator_checks_pieces():
    allowed(NAIMA, None, check_doc())
    allowed(NAIMA, None, check_doc("check:0002", passed=0, refused=2))


@pytest.mark.parametrize(
    ("who", "doc", "says"),
    [
        (FATIMA, check_doc(by=ARTISANS[0]), "only a coordinator of this cooperative"),
        (CLAIRE, check_doc(by=BUYER), "only a coordinator of this cooperative"),
        (YOUSSEF, check_doc(by=YOUSSEF.id), "only a coordinator of this cooperative"),
        (NAIMA, check_doc(by="coo_other"), "by must be your own user id"),
        (NAIMA, check_doc(artisan="art_zahra"), "'art_zahra' is not an artisan"),
        (NAIMA, check_doc(refused=2, reason=None), "refused pieces need a reason"),
        (NAIMA, check_doc(passed=0, refused=0), "at least one piece"),
        (NAIMA, check_doc("shipment:0009"), "ids starting with 'shipment:'"),
    ],
    ids=[
        "artisan",
        "buyer",
        "other-coordinator",
        "by-another",
        "other-artisan",
        "refused-without-reason",
        "no-pieces",
        "wrong-id",
    ],
)
def test_a_check_is_refused_with_a_reason(who, doc, says):
    assert says in refused(who, None, doc)


def test_a_check_is_never_edited_or_deleted():
    doc = check_doc()
    assert "never edited or deleted" in refused(NAIMA, doc, {**doc, "passed": 4})
    assert "never edited or deleted" in refused(NAIMA, doc, tombstone(doc))


# Shipments.


def test_a_coordinator_ships_and_the_buyer_or_a_coordinator_records_the_delivery():
    doc = shipment_doc()
    allowed(NAIMA, None, doc)
    allowed(CLAIRE, doc, delivered(doc, BUYER))
    allowed(NAIMA, doc, delivered(doc, COORDINATOR))


@pytest.mark.parametrize(
    ("who", "doc", "says"),
    [
        (
            NAIMA,
            delivered(shipment_doc(), COORDINATOR),
            "recorded shipped; delivery comes after",
        ),
        (CLAIRE, shipment_doc(by=BUYER), "only a coordinator of this cooperative"),
        (FATIMA, shipment_doc(by=ARTISANS[0]), "only a coordinator of this cooperative"),
        (
            NAIMA,
            shipment_doc(lines=[("order:p1", ARTISANS[0], 1), ("order:p9", "art_zahra", 1)]),
            "'art_zahra' is not an artisan",
        ),
    ],
    ids=["born-delivered", "buyer", "artisan", "other-cooperatives-pieces"],
)
def test_a_new_shipment_is_refused_with_a_reason(who, doc, says):
    assert says in refused(who, None, doc)


def test_only_a_delivery_is_recorded_on_a_shipment():
    doc = shipment_doc()
    assert "delivered_by must be your own user id" in refused(
        CLAIRE, doc, delivered(doc, COORDINATOR)
    )
    assert "its buyer or a coordinator" in refused(OTHER_BUYER, doc, delivered(doc, OTHER_BUYER.id))
    assert "its buyer or a coordinator" in refused(FATIMA, doc, delivered(doc, FATIMA.id))
    more = {**doc, "pieces": [{"part": "order:part-1", "artisan": ARTISANS[0], "count": 9}]}
    assert "pieces cannot change" in refused(NAIMA, doc, more)
    done = delivered(doc, BUYER)
    back = {**done, "status": "shipped", "delivered_at": None, "delivered_by": BUYER}
    assert "from shipped to delivered" in refused(NAIMA, done, back)
    assert "a shipment is kept" in refused(NAIMA, doc, tombstone(doc))


# Earnings.


def test_what_she_earned_is_never_written_by_a_client():
    earned = {
        "_id": "earning:0001:part-1",
        "type": "earning",
        "kind": "earned",
        "artisan": ARTISANS[0],
        "cooperative": COOP,
        "amount_centimes": 60_000,
        "pieces": 2,
        "unit_centimes": 30_000,
        "bulk_order": "bulk:0001",
        "shipment": "shipment:0001",
        "part": "order:part-1",
        "at": "2026-12-01T09:00:00Z",
        "by": COORDINATOR,
    }
    for who in (NAIMA, FATIMA, CLAIRE):
        assert "written by the server" in refused(who, None, {**earned, "by": who.id})


def test_a_coordinator_records_a_payment_and_a_correction():
    allowed(NAIMA, None, payment_doc())
    allowed(NAIMA, None, payment_doc("earning:pay-2", method="cash", reference=None))
    allowed(NAIMA, None, correction_doc())
    allowed(NAIMA, None, correction_doc("earning:fix-2", amount=500))


@pytest.mark.parametrize(
    ("who", "doc", "says"),
    [
        (FATIMA, payment_doc(by=ARTISANS[0]), "only a coordinator of this cooperative"),
        (YOUSSEF, payment_doc(by=YOUSSEF.id), "only a coordinator of this cooperative"),
        (NAIMA, payment_doc(by="coo_other"), "by must be your own user id"),
        (NAIMA, payment_doc(artisan="art_zahra"), "'art_zahra' is not an artisan"),
        (NAIMA, without(payment_doc(), "method"), "a paid entry needs method"),
        (NAIMA, payment_doc(reference=None), "needs its reference"),
        (NAIMA, payment_doc(method="mobile_money", reference=None), "needs its reference"),
        (NAIMA, payment_doc(amount=0), "amount is positive"),
        (NAIMA, payment_doc(amount=-5), "amount is positive"),
        (NAIMA, payment_doc(amount=100.5), "amount_centimes"),
        (NAIMA, payment_doc(amount=100.0), "amount_centimes"),
        (NAIMA, without(correction_doc(), "corrects"), "needs corrects"),
        (NAIMA, correction_doc(note=""), "needs note"),
        (NAIMA, correction_doc(amount=0), "a correction changes the balance"),
        (NAIMA, payment_doc("order:pay-9"), "document starts with 'earning:'"),
    ],
    ids=[
        "artisan",
        "other-coordinator",
        "by-another",
        "other-artisan",
        "no-method",
        "transfer-without-reference",
        "mobile-money-without-reference",
        "nothing-paid",
        "negative-payment",
        "float",
        "whole-float",
        "correction-of-nothing",
        "correction-without-note",
        "correction-of-zero",
        "wrong-id",
    ],
)
def test_an_entry_is_refused_with_a_reason(who, doc, says):
    assert says in refused(who, None, doc)


def test_an_entry_is_never_edited_or_deleted():
    doc = payment_doc()
    reason = refused(NAIMA, doc, {**doc, "amount_centimes": 1})
    assert "never edited or deleted" in reason and "corrects" in reason
    assert "never edited or deleted" in refused(NAIMA, doc, tombstone(doc))
