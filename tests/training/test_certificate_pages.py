"""A certificate's public face: /v/{code} in three languages, forgiving of a code typed
from paper, showing only what the certificate says and whether it was revoked; the A4
certificate to print, as HTML and as a PDF with Arabic shaped; the public keys and the
revocation list a verifier fetches."""

from __future__ import annotations

import io
import re
import sys

import pytest
from pypdf import PdfReader

from api import state
from api.services.training import certificates, credentials, keys, printing
from tests.support import images
from tests.support.apps import make_app
from tests.support.certificates import HOLDER, credential, issue
from tests.support.checked_store import checked_store
from tests.support.uploads import upload

TITLE_AR, TITLE_FR = "تصوير المنتوج", "Photographier son produit"
ISSUER = "Coopérative Zerbia de Taza"
PUBLIC = "https://hirfa.example.ma"


@pytest.fixture
def code(app):
    return issue(app)


def _revoke(app, code: str, reason: str) -> None:
    with checked_store(state.of(app)) as store:
        certificates.revoke(store, code, "coo_naima", reason)


@pytest.mark.parametrize(
    ("lang", "title", "valid", "hours"),
    [
        ("ar", TITLE_AR, "شهادة صالحة", "3 ساعات"),
        ("fr", TITLE_FR, "Certificat valide", "3 heures"),
        ("en", TITLE_FR, "Valid certificate", "3 hours"),  # no English title: French
    ],
)
def test_the_verification_page_says_what_the_certificate_says(
    client, code, lang, title, valid, hours
):
    response = client.get(f"/v/{code}?lang={lang}")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "public, max-age=60"
    body = response.get_data(as_text=True)
    assert f'<html lang="{lang}" dir="{"rtl" if lang == "ar" else "ltr"}">' in body
    for shown in (HOLDER, title, ISSUER, valid, hours, code):
        assert shown in body, shown
    assert re.search(r"\b7 (دجنبر|décembre|December) 20\d\d\b|\b\d{1,2} \S+ 20\d\d\b", body)
    assert "حرفة" in body or "Hirfa" in body


def test_nothing_else_about_her(client, db, code):
    found = certificates.lookup(db, code)
    body = client.get(f"/v/{code}?lang=fr").get_data(as_text=True)
    for hidden in ("art_fatima", "coop-taza-zerbia", found["credential_id"], "+212", "eyJ"):
        assert hidden not in body, hidden
    printed = client.get(f"/v/{code}/print?lang=fr").get_data(as_text=True)
    for hidden in ("art_fatima", "coop-taza-zerbia", found["credential_id"], "+212"):
        assert hidden not in printed, hidden


def test_a_code_typed_from_paper_finds_its_certificate(client, code):
    typed = code.lower().replace("-", " ").replace("0", "o").replace("1", "l")
    response = client.get(f"/v/{typed}?lang=fr")
    assert response.status_code == 301
    assert response.headers["Location"] == f"/v/{code}?lang=fr"


def test_an_unknown_code_is_a_404_page_that_escapes_what_was_typed(client):
    response = client.get("/v/<img src=x onerror=alert(1)>?lang=fr")
    assert response.status_code == 404
    body = response.get_data(as_text=True)
    assert "Aucun certificat ne porte ce code" in body
    assert "<img" not in body and "&lt;img src=x onerror=alert(1)&gt;" in body
    assert client.get("/v/ZZZZ-ZZZZ-ZZ").status_code == 404
    assert client.get("/v/" + "A" * 500).status_code == 404
    assert client.get("/v/ZZZZ-ZZZZ-ZZ.pdf").status_code == 404
    assert client.get("/v/ZZZZ-ZZZZ-ZZ/print").status_code == 404


def test_a_revoked_certificate_says_so_with_its_reason_and_date(app, client, code):
    _revoke(app, code, "Erreur <b>de saisie</b>")
    body = client.get(f"/v/{code}?lang=fr").get_data(as_text=True)
    assert "Certificat révoqué" in body and "Certificat valide" not in body
    assert "Erreur &lt;b&gt;de saisie&lt;/b&gt;" in body and "<b>de saisie" not in body
    assert re.search(r"Révoqué le \d{1,2} \S+ 20\d\d", body)
    assert "/print" not in body  # nothing offered to print
    assert "شهادة ملغاة" in client.get(f"/v/{code}?lang=ar").get_data(as_text=True)
    printed = client.get(f"/v/{code}/print?lang=fr").get_data(as_text=True)
    assert 'class="void"' in printed and "Certificat révoqué" in printed


def test_the_print_page_is_an_a4_certificate_with_the_qr_code_of_its_page(tmp_path):
    app = make_app(tmp_path, public_url=PUBLIC)
    code = issue(app, public_url=PUBLIC)
    client = app.test_client()
    arabic = client.get(f"/v/{code}/print?lang=ar")
    assert arabic.status_code == 200 and arabic.headers["Cache-Control"] == "public, max-age=60"
    html = arabic.get_data(as_text=True)
    assert '<html lang="ar" dir="rtl">' in html and "size:A4 landscape" in html
    for shown in (HOLDER, TITLE_AR, ISSUER, "3 ساعات", code, f"{PUBLIC}/v/{code}"):
        assert shown in html, shown
    # The QR code is the verification page's absolute address, as an inline SVG.
    assert printing.qr_svg(f"{PUBLIC}/v/{code}") in html
    assert "<script" not in html and "src=" not in html and "href=" not in html
    french = client.get(f"/v/{code}/print?lang=fr").get_data(as_text=True)
    assert '<html lang="fr" dir="ltr">' in french and TITLE_FR in french


def test_without_a_public_url_the_qr_code_names_the_address_asked(client, code):
    html = client.get(f"/v/{code}/print?lang=fr").get_data(as_text=True)
    assert printing.qr_svg(f"http://localhost/v/{code}") in html


def _pdf_text(response) -> tuple[PdfReader, str]:
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.mimetype == "application/pdf"
    reader = PdfReader(io.BytesIO(response.data))
    return reader, "\n".join(page.extract_text() for page in reader.pages)


def test_the_pdf_in_arabic_and_in_french(client, code):
    reader, text = _pdf_text(client.get(f"/v/{code}.pdf?lang=ar"))
    assert len(reader.pages) == 1
    width, height = reader.pages[0].mediabox.width, reader.pages[0].mediabox.height
    assert (round(width * 25.4 / 72), round(height * 25.4 / 72)) == (297, 210)  # A4 landscape
    # Shaped Arabic is extracted back to its letters, in reading order.
    for shown in (HOLDER, TITLE_AR, "شهادة", code):
        assert shown in text, (shown, text)
    _, text = _pdf_text(client.get(f"/v/{code}.pdf?lang=fr"))
    for shown in (HOLDER, TITLE_FR, "Certificat".upper(), ISSUER, code):
        assert shown in text, (shown, text)


def test_printing_a_pdf_leaves_truncated_photos_refused(client, auth, code):
    """WeasyPrint turns on Pillow's LOAD_TRUNCATED_IMAGES for the whole process when it
    is imported; the photo pipeline must still refuse half a JPEG after a PDF."""
    assert client.get(f"/v/{code}.pdf?lang=fr").status_code == 200
    whole = images.jpeg((800, 600), seed=1)
    answer = upload(client, auth.headers("artisan"), whole[: len(whole) // 2])
    assert answer.status_code == 422, answer.get_json()
    assert answer.get_json()["error"]["code"] == "image_unreadable"


def test_without_weasyprint_the_pdf_is_a_503_and_the_print_page_still_works(
    client, code, monkeypatch
):
    monkeypatch.setattr(printing, "_weasyprint", None)
    monkeypatch.setitem(sys.modules, "weasyprint", None)  # `import weasyprint` fails
    response = client.get(f"/v/{code}.pdf?lang=fr")
    assert response.status_code == 503
    assert response.headers["X-Hirfa-Error"] == "pdf_unavailable"
    body = response.get_data(as_text=True)
    assert "pdf_unavailable" in body and f"/v/{code}/print?lang=fr" in body
    assert client.get(f"/v/{code}/print?lang=fr").status_code == 200


def test_the_jwks_publishes_every_public_key_and_no_private_one(app, client, db, code):
    response = client.get("/.well-known/jwks.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert response.headers["Cache-Control"] == "public, max-age=60"
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "Vary" not in response.headers and "Set-Cookie" not in response.headers
    [key] = response.get_json()["keys"]
    assert set(key) == {"kty", "crv", "x", "kid", "use", "alg"}
    assert key["kid"] == keys.thumbprint(key)
    token = credential(app, code)
    assert credentials.verify(token, response.get_json()).valid
    keys.rotate(db)
    published = client.get("/.well-known/jwks.json").get_json()["keys"]
    assert len(published) == 2 and published[1]["kid"] == key["kid"]
    assert credentials.verify(token, {"keys": published}).valid


def test_the_status_list_names_the_revoked_certificates(app, client, db, code):
    response = client.get("/credentials/status")
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert response.headers["Cache-Control"] == "public, max-age=60"
    assert response.get_json() == {"type": "1EdTechRevocationList", "revokedCredentials": []}
    _revoke(app, code, "erreur")
    [revoked] = client.get("/credentials/status").get_json()["revokedCredentials"]
    assert (revoked["code"], revoked["reason"]) == (code, "erreur")
    vc = credentials.verify(credential(app, code), keys.jwks(db)).credential
    assert vc["credentialStatus"]["id"].endswith(f"{certificates.STATUS_PATH}#{code}")
    assert revoked["id"] == vc["id"]


def test_the_credential_file_is_the_signed_credential(app, client, code):
    response = client.get(f"/v/{code.lower()}/credential.jwt")
    assert response.status_code == 200 and response.mimetype == "application/jwt"
    assert f'filename="certificate-{code}.jwt"' in response.headers["Content-Disposition"]
    assert response.get_data(as_text=True) == credential(app, code)
    missing = client.get("/v/ZZZZ-ZZZZ-ZZ/credential.jwt")
    assert missing.status_code == 404 and missing.get_json()["error"]["code"] == "not_found"
