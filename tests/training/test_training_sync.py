"""A course reaches her phone by sync; her progress, made offline in an unmodified
PouchDB, reaches the server, which grades it and issues her certificate; the certificate
reaches her phone at its next pull, and it verifies with the published keys alone
and her trainer sees her progress on the trainers' page (issue 15, "Done when")."""

from __future__ import annotations

import requests

from api import state
from api.services.training import credentials, progress
from tests.support.checked_store import checked_store, user
from tests.support.listings import Reviewer
from tests.support.pouch_device import PouchDevice
from tests.support.training import COURSE, KEY, TAZA, course
from tests.support.training import progress as progress_doc


def replicate(phone: PouchDevice, direction: str, server, headers: dict) -> dict:
    result = phone.result(
        {"op": "replicate", "direction": direction, "url": server.sync_url(), "headers": headers}
    )
    assert result["ok"], result
    return result


def test_offline_progress_becomes_a_certificate_on_her_phone(live_server, tmp_path):
    server = live_server
    with checked_store(state.of(server.app)) as store:
        store.put(course(), check=store.check_as(user("coo_naima", "coordinator", TAZA)))
        progress.set_answer_key(store.db, COURSE, KEY)
    phone = PouchDevice(tmp_path / "phone")
    headers = server.headers("artisan")
    replicate(phone, "pull", server, headers)
    got = phone.result({"op": "get", "id": COURSE})
    assert got["doc"]["title"]["fr"] == "Photographier son produit"
    # The final assessment's questions came without their answers.
    assert all("answer" not in q for q in got["doc"]["assessment"]["questions"])

    # Offline: she does both lessons and answers the assessment.
    assert phone.result({"op": "put", "doc": progress_doc(assessment_answers=KEY)})["ok"]
    replicate(phone, "push", server, headers)
    # Her trainer sees it on the trainers' page.
    trainer = Reviewer(server.app.test_client())
    trainer.sign_in("coordinator")
    shown = trainer.client.get("/review/training?lang=fr").get_data(as_text=True)
    assert "فاطمة أيت علي" in shown and "2/2" in shown
    replicate(phone, "pull", server, headers)

    held = {row["id"] for row in phone.result({"op": "all_docs"})["rows"]}
    [certificate_id] = [i for i in held if i.startswith("certificate:")]
    assert "assessment:photo-basics:art_fatima" in held
    certificate = phone.result({"op": "get", "id": certificate_id})["doc"]
    assert certificate["status"] == "valid" and certificate["owner"] == "art_fatima"
    jwks = requests.get(f"{server.url}/.well-known/jwks.json", timeout=10)
    assert jwks.status_code == 200
    assert credentials.verify(certificate["credential"], jwks.json()).valid
