"""The public directory as documents: who writes a cooperative's and an artisan's public
profile through /sync, and what a profile may not carry."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from sync.rules.access import channels_for, user_channels, validate
from sync.rules.resolution import RULES, product_edit
from sync.store.errors import WriteForbidden

DB = "/sync/hirfa"
TAZA, ARGAN = "coop-taza-zerbia", "coop-essaouira-argan"


def cooperative(coop: str = TAZA, **extra) -> dict:
    return {
        "type": "cooperative",
        "cooperative": coop,
        "name": {"ar": "تعاونية تازة", "fr": "Coopérative de Taza"},
        "region": "fes-meknes",
        "commune": "Taza",
        "crafts": ["carpets"],
        "story": {"fr": "Vingt tisserandes."},
        "visiting": {"fr": "Du lundi au vendredi, 9h-16h."},
        "contacts": [{"kind": "whatsapp", "value": "+212600000999"}],
        **extra,
    }


def artisan(coop: str = TAZA, **extra) -> dict:
    return {
        "type": "artisan",
        "display_name": "فاطمة",
        "cooperative": coop,
        "crafts": ["carpets"],
        **extra,
    }


def put(client, auth, who: str, doc_id: str, body: dict):
    """Write ``body`` as ``who`` over the current revision, if there is one."""
    current = client.get(f"{DB}/{doc_id}", headers=auth.headers("admin"))
    if current.status_code == 200:
        kept = {k: v for k, v in current.get_json().items() if k in ("_rev", "created_at")}
        body = {**body, **kept}
    return client.put(f"{DB}/{doc_id}", json=body, headers=auth.headers(who))


def test_channels_are_the_cooperatives_and_public():
    """Public, its coordinators' coop:<id>, and members:<id> for its artisans."""
    expected = {f"coop:{TAZA}", f"members:{TAZA}", "public"}
    assert channels_for(f"cooperative:{TAZA}", cooperative()) == expected
    assert channels_for("artisan:art_fatima", artisan()) == expected
    assert channels_for(f"cooperative:{ARGAN}", cooperative(ARGAN)) == {
        f"coop:{ARGAN}",
        f"members:{ARGAN}",
        "public",
    }


def test_a_coordinator_writes_her_cooperative_and_its_artisans(client, auth):
    assert put(client, auth, "coordinator", f"cooperative:{TAZA}", cooperative()).status_code == 201
    response = put(client, auth, "coordinator", "artisan:art_fatima", artisan())
    assert response.status_code == 201, response.get_json()


def test_a_coordinator_cannot_write_another_cooperative(client, auth):
    response = put(client, auth, "coordinator", f"cooperative:{ARGAN}", cooperative(ARGAN))
    assert response.status_code == 403
    response = put(client, auth, "coordinator", "artisan:art_zahra", artisan(ARGAN))
    assert response.status_code == 403
    # nor claim another cooperative's artisan for her own
    response = put(client, auth, "coordinator", "artisan:art_zahra", artisan(TAZA))
    assert response.status_code == 403


def test_the_id_and_the_body_agree(client, auth):
    response = put(client, auth, "admin", f"cooperative:{TAZA}", cooperative(ARGAN))
    assert response.status_code == 403
    assert "cooperative" in response.get_json()["reason"]
    response = put(client, auth, "admin", f"cooperative:{TAZA}", artisan())
    assert response.status_code == 403


def test_account_fields_are_refused_with_a_reason(client, auth):
    for field, value in [("phone", "+212600000100"), ("pin", "1234"), ("role", "admin")]:
        response = put(client, auth, "coordinator", "artisan:art_fatima", artisan(**{field: value}))
        assert response.status_code == 403
        assert field in response.get_json()["reason"]
    response = put(
        client, auth, "coordinator", f"cooperative:{TAZA}", cooperative(password="secret")
    )
    assert response.status_code == 403 and "password" in response.get_json()["reason"]


def test_a_homes_position_is_refused(client, auth):
    body = cooperative(location={"lat": 34.2, "lng": -4.0})
    response = put(client, auth, "coordinator", f"cooperative:{TAZA}", body)
    assert response.status_code == 403 and "location" in response.get_json()["reason"]


@dataclass(frozen=True)
class Person:
    id: str
    role: str
    cooperative_ids: tuple[str, ...]


FATIMA = Person("art_fatima", "artisan", (TAZA,))


def directory(artisan_id):
    return {"art_fatima": TAZA, "art_khadija": TAZA}.get(artisan_id)


def test_an_artisan_reads_her_cooperatives_directory_channel_only():
    """members:<her cooperative>, never coop:<id> (every artisan's listings) nor
    another cooperative's directory (and the courses offered to every cooperative)."""
    assert user_channels(FATIMA) == {"artisan:art_fatima", f"members:{TAZA}", "training:all"}
    zahra = Person("art_zahra", "artisan", (ARGAN,))
    assert user_channels(zahra) == {"artisan:art_zahra", f"members:{ARGAN}", "training:all"}
    # coordinators read their cooperatives' whole channel, which the documents are in too
    # (and every published course, to choose which their artisans get)
    coordinator = Person("coo_naima", "coordinator", (TAZA,))
    assert user_channels(coordinator) == {f"coop:{TAZA}", "courses"}


def test_an_artisan_edits_only_her_story_and_photo():
    """Checked on the rule itself, which applies alike over /sync (her phone pulls her
    profile from directory:<her cooperative>) and over REST."""
    old = artisan()
    mine = artisan(story={"ar": "أنسج منذ صغري"}, photo="photo:abc")
    validate(FATIMA, old, mine, directory, "artisan:art_fatima")
    for changed in ({"display_name": "Fatima"}, {"cooperative": ARGAN}, {"crafts": []}):
        with pytest.raises(WriteForbidden, match=next(iter(changed))):
            validate(FATIMA, old, {**mine, **changed}, directory, "artisan:art_fatima")
    # not someone else's profile, not a new one, and not her cooperative's
    with pytest.raises(WriteForbidden):
        validate(FATIMA, old, mine, directory, "artisan:art_khadija")
    with pytest.raises(WriteForbidden):
        validate(FATIMA, None, mine, directory, "artisan:art_fatima")
    with pytest.raises(WriteForbidden):
        edited = cooperative(story={"fr": "x"})
        validate(FATIMA, cooperative(), edited, directory, f"cooperative:{TAZA}")
    # nor delete it
    with pytest.raises(WriteForbidden):
        validate(FATIMA, old, {"_deleted": True}, directory, "artisan:art_fatima")


def test_over_sync_an_artisan_cannot_write_her_cooperatives_directory(client, auth):
    assert put(client, auth, "artisan", "artisan:art_fatima", artisan()).status_code == 403
    assert put(client, auth, "artisan", f"cooperative:{TAZA}", cooperative()).status_code == 403


def test_only_an_admin_moves_an_artisan_to_another_cooperative(client, auth):
    assert put(client, auth, "coordinator", "artisan:art_fatima", artisan()).status_code == 201
    moved = artisan(ARGAN)
    assert put(client, auth, "coordinator", "artisan:art_fatima", moved).status_code == 403
    assert put(client, auth, "coordinator2", "artisan:art_fatima", moved).status_code == 403
    assert put(client, auth, "admin", "artisan:art_fatima", moved).status_code == 201


@pytest.mark.parametrize("who", ["buyer", "artisan_other_coop"])
def test_others_write_no_directory_document(client, auth, who):
    assert put(client, auth, who, f"cooperative:{TAZA}", cooperative()).status_code == 403


def test_directory_conflicts_merge_field_by_field():
    assert RULES["cooperative"] is product_edit and RULES["artisan"] is product_edit
