"""/c/{cooperative} reads the cooperative's directory document: a server fed only by the
hub shows it, with its story, photos and visiting information in the visitor's language."""

from __future__ import annotations

from tests.support.documents import HUB_COOP, write_hub_directory
from tests.support.listings import page


def test_a_cooperative_known_only_by_its_document_has_its_page(client, auth):
    write_hub_directory(client, auth.headers("admin"))
    response = client.get(f"/c/{HUB_COOP}?lang=fr")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Coopérative des tapis de Tinghir" in html
    assert "Trente tisserandes dans l&#39;oasis de Tinghir." in html
    assert "Du lundi au samedi, 9 h - 16 h." in html
    assert "Tinghir" in html and "Tapis de Tinghir" in html  # its commune, its product
    assert 'href="https://wa.me/212600000999"' in html


def test_the_page_speaks_arabic_right_to_left(client, auth):
    write_hub_directory(client, auth.headers("admin"))
    response = client.get(f"/c/{HUB_COOP}?lang=ar")
    html = response.get_data(as_text=True)
    assert '<html lang="ar" dir="rtl">' in html
    assert "تعاونية تنغير للزرابي" in html
    assert "ثلاثون نساجة في واحة تنغير." in html and "من الاثنين إلى السبت." in html
    assert "Trente tisserandes" not in html


def test_the_story_falls_back_to_the_language_it_was_written_in(client, auth):
    write_hub_directory(client, auth.headers("admin"))
    html = client.get(f"/c/{HUB_COOP}?lang=en").get_data(as_text=True)
    assert 'lang="ar" dir="auto">ثلاثون نساجة' in html


def test_ready_photos_of_the_cooperative_show_and_others_do_not(client, auth):
    write_hub_directory(client, auth.headers("admin"))
    sha = "ab" * 32
    photo = {
        "type": "photo",
        "owner": "art_itto",
        "cooperative": HUB_COOP,
        "sha256": sha,
        "status": "ready",
    }
    admin = auth.headers("admin")
    assert (
        client.put("/sync/hirfa/photo:tinghir-loom", json=photo, headers=admin).status_code == 201
    )
    html = client.get(f"/c/{HUB_COOP}").get_data(as_text=True)
    assert f"/media/{sha}/display" in html
    # a photo id of another cooperative named in the document is not shown
    other = {**photo, "cooperative": "coop-taza-zerbia", "owner": "art_fatima", "sha256": "cd" * 32}
    assert client.put("/sync/hirfa/photo:taza", json=other, headers=admin).status_code == 201
    current = client.get(f"/sync/hirfa/cooperative:{HUB_COOP}", headers=admin).get_json()
    current["photos"] = ["photo:tinghir-loom", "photo:taza"]
    put = client.put(f"/sync/hirfa/cooperative:{HUB_COOP}", json=current, headers=admin)
    assert put.status_code == 201
    assert "cd" * 32 not in client.get(f"/c/{HUB_COOP}").get_data(as_text=True)


def test_a_cooperative_with_rows_and_document_still_has_its_page(client):
    response = client.get("/c/coop-taza-zerbia?lang=fr")
    assert response.status_code == 200
    assert page(response).meta is not None
    assert client.get("/c/coop-nowhere").status_code == 404
