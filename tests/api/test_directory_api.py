"""The directory over REST: a cooperative's and an artisan's public profile, read by anyone,
written with If-Match by those the access rules allow."""

from __future__ import annotations

COOP = "/api/v1/directory/cooperatives/coop-taza-zerbia"
FATIMA = "/api/v1/directory/artisans/art_fatima"


def test_anyone_reads_a_profile_with_its_revision_as_etag(client):
    response = client.get(COOP)
    assert response.status_code == 200
    body = response.get_json()
    assert body["id"] == "cooperative:coop-taza-zerbia" and body["region"] == "fes-meknes"
    assert response.headers["ETag"] == f'"{body["rev"]}"'
    fatima = client.get(FATIMA).get_json()
    assert fatima["display_name"] == "فاطمة أيت علي" and "phone" not in fatima
    assert client.get("/api/v1/directory/cooperatives/coop-nowhere").status_code == 404
    assert client.get("/api/v1/directory/artisans/coo_naima").status_code == 404


def test_a_coordinator_writes_her_cooperatives_profile_with_if_match(client, auth):
    headers = auth.headers("coordinator")
    current = client.get(COOP).get_json()
    edit = {
        "name": current["name"],
        "region": "fes-meknes",
        "story": {"fr": "Vingt tisserandes.", "ar": "عشرون نساجة."},
        "visiting": {"fr": "Sur rendez-vous."},
        "contacts": [{"kind": "whatsapp", "value": "+212600000999"}],
    }
    assert client.put(COOP, json=edit, headers=headers).status_code == 428
    stale = client.put(COOP, json=edit, headers={**headers, "If-Match": '"1-stale"'})
    assert stale.status_code == 412
    assert stale.get_json()["error"]["details"]["current"]["rev"] == current["rev"]
    done = client.put(COOP, json=edit, headers={**headers, "If-Match": f'"{current["rev"]}"'})
    assert done.status_code == 200, done.get_json()
    assert done.get_json()["story"]["ar"] == "عشرون نساجة."
    assert done.headers["ETag"] != f'"{current["rev"]}"'
    html = client.get("/c/coop-taza-zerbia?lang=fr").get_data(as_text=True)
    assert "Vingt tisserandes." in html and "Sur rendez-vous." in html


def test_a_coordinator_cannot_write_another_cooperatives_profile(client, auth):
    other = "/api/v1/directory/cooperatives/coop-essaouira-argan"
    current = client.get(other).get_json()
    body = {"name": {"fr": "Prise"}, "region": current["region"]}
    headers = {**auth.headers("coordinator"), "If-Match": current["rev"]}
    assert client.put(other, json=body, headers=headers).status_code == 403


def test_an_artisan_edits_her_story_but_not_her_name(client, auth):
    current = client.get(FATIMA).get_json()
    headers = {**auth.headers("artisan"), "If-Match": current["rev"]}
    mine = {"display_name": current["display_name"], "story": {"ar": "أنسج منذ صغري"}}
    done = client.put(FATIMA, json=mine, headers=headers)
    assert done.status_code == 200, done.get_json()
    headers["If-Match"] = done.get_json()["rev"]
    renamed = client.put(FATIMA, json={**mine, "display_name": "Fatima"}, headers=headers)
    assert renamed.status_code == 403
    assert "display_name" in renamed.get_json()["error"]["message"]


def test_account_fields_are_refused(client, auth):
    current = client.get(FATIMA).get_json()
    headers = {**auth.headers("coordinator"), "If-Match": current["rev"]}
    body = {"display_name": "Fatima", "phone": "0661234567"}
    response = client.put(FATIMA, json=body, headers=headers)
    assert response.status_code == 400
    assert "phone" in response.get_json()["error"]["details"]["fields"]
