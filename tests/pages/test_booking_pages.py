"""Booking a workshop on the web: the form at /buy/book/{workshop}/{session}, her bookings
at /buy/bookings, cancelling. Every refused form is checked twice: the answer says why in
her language, and nothing is stored."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from api.services import accounts
from api.services.directory_docs import SERVER, cooperative_doc_id
from api.services.visits import workshops
from sync.rules.access import make_check
from tests.support.apps import DEMO
from tests.support.listings import page
from tests.support.orders import rows

TAZA = "coop-taza-zerbia"
WORKSHOP = "workshop:coop-taza-zerbia:weaving"
MOROCCO = timezone(timedelta(hours=1))
FORM = f"/buy/book/{WORKSHOP}/soon"
LIST = "/buy/bookings"


def at(days: float) -> str:
    when = datetime.now(UTC) + timedelta(days=days)
    return when.astimezone(MOROCCO).isoformat(timespec="seconds")


def make_workshop(app, **fields) -> dict:
    """The Taza weaving workshop, written by its coordinator: 3 places a session."""
    hirfa = app.extensions["hirfa"]
    db = hirfa.open_db()
    try:
        body = {
            "code": "weaving",
            "title": {"ar": "ورشة نسج الزربية", "fr": "Atelier de tissage"},
            "duration_minutes": 180,
            "price_centimes": 35000,
            "languages": ["ary", "fr"],
            "capacity": 3,
            "sessions": [
                {"id": "soon", "starts_at": at(7)},
                {"id": "later", "starts_at": at(14), "capacity": 5},
                {"id": "past", "starts_at": at(-1)},
            ],
            "status": "published",
            **fields,
        }
        coordinator = accounts.get_user(db, "coo_naima")
        return workshops.create(hirfa.store(db), coordinator, body)
    finally:
        db.close()


def update_workshop(app, **fields) -> None:
    hirfa = app.extensions["hirfa"]
    db = hirfa.open_db()
    try:
        store, coordinator = hirfa.store(db), accounts.get_user(db, "coo_naima")
        current = workshops.get(store, coordinator, WORKSHOP)
        kept = {k: v for k, v in current.items() if not k.startswith("_") and k != "type"}
        workshops.update(store, coordinator, WORKSHOP, current["_rev"], {**kept, **fields})
    finally:
        db.close()


def set_home_server(app, url: str) -> None:
    hirfa = app.extensions["hirfa"]
    db = hirfa.open_db()
    try:
        store = hirfa.store(db)
        profile = store.get_doc(cooperative_doc_id(TAZA))
        store.put({**profile, "home_server": url}, check=make_check(SERVER, lambda _a: None))
    finally:
        db.close()


def text(response) -> str:
    return response.get_data(as_text=True)


def hidden(client, path: str) -> dict[str, str]:
    return page(client.get(path)).hidden


def sign_in(client, who: str = "buyer", back: str | None = None):
    phone, secret = DEMO[who]
    form = {"csrf": hidden(client, "/buy/register")["csrf"], "phone": phone, **secret}
    if back:
        form["back"] = back
    return client.post("/buy/sign-in", data=form)


def submit(client, path: str = FORM, **changes):
    """The form as the page rendered it (its csrf and idempotency key), filled and sent."""
    form = {**hidden(client, path), "places": "2", "contact_name": "Claire M.", "note": "en taxi"}
    form.update(changes)
    return client.post(path, data={k: v for k, v in form.items() if v is not None})


def stored(app) -> list[tuple]:
    return rows(
        app,
        "SELECT json_extract(r.body, '$.status'), json_extract(r.body, '$.places') "
        "FROM docs d JOIN revs r ON r.doc_id = d.id AND r.rev = d.winner "
        "WHERE d.id LIKE 'booking:%' AND d.deleted = 0",
    )


def booked(app, session: str = "soon") -> int:
    found = rows(
        app,
        "SELECT booked FROM session_places WHERE workshop_id = ? AND session_id = ?",
        (WORKSHOP, session),
    )
    return found[0][0] if found else 0


def outbox(app, kind: str) -> list[str]:
    return [r[0] for r in rows(app, "SELECT user_id FROM outbox WHERE kind = ?", (kind,))]


@pytest.fixture
def workshop(app):
    return make_workshop(app)


@pytest.fixture
def buyer(client, workshop):
    """The demo buyer signed in, the pages in French."""
    sign_in(client)
    client.get(f"{FORM}?lang=fr")
    return client


# --- the form -------------------------------------------------------------------------


def test_signed_out_the_form_asks_to_sign_in_and_comes_back(client, workshop):
    signed_out = client.get(f"{FORM}?lang=fr")
    assert signed_out.status_code == 200 and 'action="/buy/sign-in"' in text(signed_out)
    assert page(signed_out).hidden["back"] == FORM
    assert "Réserver un atelier" in text(signed_out)
    assert "/buy/register?back=" in text(signed_out)
    signed = sign_in(client, back=FORM)
    assert signed.status_code == 303 and signed.headers["Location"] == FORM
    assert 'id="book-form"' in text(client.get(FORM))
    assert sign_in(client, back=LIST).headers["Location"] == LIST


def test_the_form_shows_the_session_in_her_language(buyer):
    fr = buyer.get(FORM)
    html = text(fr)
    assert fr.status_code == 200 and "no-store" in fr.headers["Cache-Control"]
    assert "Atelier de tissage" in html and "Durée : 3 h" in html
    assert "darija, français" in html and "350\u00a0DH" in html and "par personne" in html
    assert "Places restantes : 3" in html and 'max="3"' in html
    assert 'value="Claire Martin"' in html  # from her account
    kept = page(fr).hidden
    assert kept["csrf"] and kept["key"] and kept["key"] != hidden(buyer, FORM)["key"]
    assert f'href="/c/{TAZA}#workshops"' in html and 'id="bookings-link"' in html
    assert len(fr.get_data()) < 60_000
    ar = buyer.get(f"{FORM}?lang=ar")
    assert page(ar).html_attrs == {"lang": "ar", "dir": "rtl"}
    assert "ورشة نسج الزربية" in text(ar) and "الأماكن المتبقية: 3" in text(ar)
    assert "3 ساعات" in text(ar) and "حجز ورشة" in text(ar)


def test_booking_takes_the_places_and_shows_them_in_her_bookings(app, buyer):
    made = submit(buyer)
    assert made.status_code == 303 and made.headers["Location"] == LIST
    assert stored(app) == [("confirmed", 2)] and booked(app) == 2
    assert outbox(app, "booking_made") == ["coo_naima"]
    contact = rows(app, "SELECT json_extract(r.body, '$.contact_name') FROM revs r")
    assert ("Claire M.",) in contact  # the name typed, not the account's
    listed = buyer.get(LIST)
    html = text(listed)
    assert listed.status_code == 200 and 'id="flash"' in html
    assert "Vos places sont réservées" in html
    assert 'data-status="confirmed"' in html and "Confirmée" in html and "Places : 2" in html
    assert "Atelier de tissage" in html and f'href="/c/{TAZA}"' in html
    assert len(listed.get_data()) < 60_000
    assert 'id="flash"' not in text(buyer.get(LIST))  # said once
    assert "Places restantes : 1" in text(buyer.get(f"/c/{TAZA}?lang=fr"))


def test_a_double_click_books_once(app, buyer):
    form = {**hidden(buyer, FORM), "places": "1", "contact_name": "Claire", "note": ""}
    first, second = buyer.post(FORM, data=form), buyer.post(FORM, data=form)
    assert first.status_code == second.status_code == 303
    assert stored(app) == [("confirmed", 1)] and booked(app) == 1
    assert len(outbox(app, "booking_made")) == 1


def test_not_enough_places_says_how_many_are_left_and_keeps_what_was_typed(app, buyer):
    submit(buyer)
    refused = submit(buyer, places="2", note="nous serons deux")
    html = text(refused)
    assert refused.status_code == 409 and 'id="form-error"' in html
    assert "Places restantes : 1. Réservez-en moins." in html
    assert "nous serons deux" in html and 'value="Claire M."' in html and 'id="book"' in html
    assert stored(app) == [("confirmed", 2)] and booked(app) == 2
    submit(buyer, places="1")
    full = submit(buyer, places="1")
    assert full.status_code == 409 and "il ne reste aucune place" in text(full)
    assert 'id="book"' not in text(full)  # nothing left to send
    assert len(stored(app)) == 2 and booked(app) == 3
    assert "complète" in text(buyer.get(FORM))


def test_a_past_session_is_refused(app, buyer):
    path = f"/buy/book/{WORKSHOP}/past"
    shown = buyer.get(path)
    assert shown.status_code == 409 and "a déjà commencé" in text(shown)
    assert 'id="book"' not in text(shown) and 'id="other-sessions"' in text(shown)
    refused = submit(buyer, path, note="trop tard")
    assert refused.status_code == 409 and "a déjà commencé" in text(refused)
    assert "trop tard" in text(refused)
    assert stored(app) == [] and booked(app, "past") == 0


def test_a_workshop_closed_meanwhile_is_refused(app, buyer):
    form = {**hidden(buyer, FORM), "places": "1", "contact_name": "Claire", "note": "x"}
    update_workshop(app, status="cancelled")
    refused = buyer.post(FORM, data=form)
    assert refused.status_code == 409 and "pas ouvert aux réservations" in text(refused)
    assert stored(app) == [] and outbox(app, "booking_made") == []
    ar = buyer.get(f"{FORM}?lang=ar")
    assert ar.status_code == 409 and "غير مفتوحة للحجز" in text(ar)


def test_another_home_server_gets_a_link_there(app, client, workshop):
    form = {**hidden(client, "/buy/register"), "places": "1", "contact_name": "Claire"}
    sign_in(client)
    form["csrf"] = hidden(client, FORM)["csrf"]
    form["key"] = "k1"
    set_home_server(app, "https://taza.hirfa.example/")
    there = f"https://taza.hirfa.example/buy/book/{WORKSHOP}/soon"
    shown = client.get(f"{FORM}?lang=fr")
    assert shown.status_code == 200 and f'href="{there}"' in text(shown)
    assert "son propre serveur" in text(shown) and 'id="book-form"' not in text(shown)
    refused = client.post(FORM, data=form)
    assert refused.status_code == 409 and f'href="{there}"' in text(refused)
    assert stored(app) == []


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"places": "0"}, "places", "De 1 à 3 places."),
        ({"places": "deux"}, "places", "De 1 à 3 places."),
        ({"places": "51"}, "places", "De 1 à 3 places."),
        ({"contact_name": " "}, "contact_name", "Ce champ est obligatoire."),
        ({"contact_name": "x" * 121}, "contact_name", "Texte trop long."),
        ({"note": "x" * 1001}, "note", "Texte trop long."),
    ],
)
def test_a_refused_field_says_what_to_fix(app, buyer, changes, field, message):
    refused = submit(buyer, **changes)
    html = text(refused)
    assert refused.status_code == 400 and f'id="{field}-error"' in html and message in html
    assert stored(app) == []


def test_unknown_workshops_and_sessions_are_404(buyer):
    assert buyer.get(f"/buy/book/{WORKSHOP}/never").status_code == 404
    assert buyer.get("/buy/book/workshop:coop-taza-zerbia:none/soon").status_code == 404


def test_a_draft_is_not_shown(app, client):
    make_workshop(app, status="draft")
    sign_in(client)
    assert client.get(FORM).status_code == 404


@pytest.mark.parametrize("csrf", [None, "forged"])
def test_a_missing_or_forged_csrf_token_books_nothing(app, buyer, csrf):
    refused = submit(buyer, csrf=csrf)
    assert refused.status_code == 400 and "Le formulaire a expiré" in text(refused)
    assert stored(app) == [] and booked(app) == 0


def test_a_form_without_its_key_books_nothing(app, buyer):
    assert submit(buyer, key=None).status_code == 400
    assert stored(app) == []


def test_a_coordinator_cannot_book(app, client, workshop):
    refused = sign_in(client, "coordinator", back=FORM)
    assert refused.status_code == 403 and stored(app) == []


# --- her bookings, cancelling ---------------------------------------------------------


def booking_id(app) -> str:
    return rows(app, "SELECT id FROM docs WHERE id LIKE 'booking:%'")[0][0]


def cancel(client, booking: str, **form):
    data = {"csrf": hidden(client, LIST)["csrf"], **form}
    return client.post(f"{LIST}/{booking}/cancel", data={k: v for k, v in data.items() if v})


def test_the_list_asks_to_sign_in_and_is_empty_at_first(client, workshop):
    signed_out = client.get(LIST)
    assert 'action="/buy/sign-in"' in text(signed_out)
    sign_in(client)
    assert 'id="no-bookings"' in text(client.get(LIST))


def test_cancelling_needs_a_reason_and_frees_the_places(app, buyer):
    submit(buyer)
    made = booking_id(app)
    assert "Places restantes : 1" in text(buyer.get(f"/c/{TAZA}?lang=fr"))
    no_reason = cancel(buyer, made, reason="  ")
    assert no_reason.status_code == 400 and "Ce champ est obligatoire." in text(no_reason)
    assert stored(app) == [("confirmed", 2)] and booked(app) == 2
    done = cancel(buyer, made, reason="Vol annulé")
    assert done.status_code == 303 and done.headers["Location"] == LIST
    assert stored(app) == [("cancelled", 2)] and booked(app) == 0
    assert outbox(app, "booking_cancelled") == ["coo_naima"]
    html = text(buyer.get(LIST))
    assert "Réservation annulée" in html and 'data-status="cancelled"' in html
    assert "Annulée par vous : Vol annulé" in html and "/cancel" not in html
    assert "Places restantes : 3" in text(buyer.get(f"/c/{TAZA}?lang=fr"))


@pytest.mark.parametrize("csrf", [None, "forged"])
def test_cancelling_without_the_csrf_token_changes_nothing(app, buyer, csrf):
    submit(buyer)
    made = booking_id(app)
    data = {"reason": "x", **({"csrf": csrf} if csrf else {})}
    refused = buyer.post(f"{LIST}/{made}/cancel", data=data)
    assert refused.status_code == 400
    assert stored(app) == [("confirmed", 2)] and booked(app) == 2


def test_another_buyers_booking_is_404(app, buyer):
    submit(buyer)
    made = booking_id(app)
    other = app.test_client()
    csrf = hidden(other, "/buy/register")["csrf"]
    registered = other.post(
        "/buy/register",
        data={
            "csrf": csrf,
            "phone": "0611223344",
            "password": "argan-oil-2026",
            "display_name": "Amina",
            "locale": "fr",
        },
    )
    assert registered.status_code == 303
    assert made not in text(other.get(LIST))
    refused = cancel(other, made, reason="pas à moi")
    assert refused.status_code == 404 and "Réservation introuvable" in text(refused)
    assert cancel(other, "booking:nope", reason="x").status_code == 404
    assert stored(app) == [("confirmed", 2)] and booked(app) == 2
