"""A certificate file checked offline, with the issuer's public keys alone: by
`flask verify-credential`, and by a third party's JOSE library (the `jose` npm package,
tests/js/verify_credential.js) that knows nothing of Hirfa. Valid as issued; one byte
changed, invalid. `flask rotate-signing-key` keeps older certificates verifiable."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from api import state
from api.services.training import keys
from tests.support.certificates import HOLDER, credential, issue

JS = Path(__file__).resolve().parents[1] / "js"
VERIFY_JS = JS / "verify_credential.js"


@pytest.fixture
def files(app, tmp_path):
    """Her credential file and the issuer's JWKS as served, written to disk."""
    code = issue(app)
    client = app.test_client()
    token = tmp_path / "certificate.jwt"
    token.write_bytes(client.get(f"/v/{code}/credential.jwt").data)
    jwks = tmp_path / "jwks.json"
    jwks.write_bytes(client.get("/.well-known/jwks.json").data)
    assert token.read_text() == credential(app, code)
    return token, jwks


def _altered(token: Path) -> Path:
    """The same file with one character of the payload changed."""
    head, body, signature = token.read_text().split(".")
    flipped = body[:40] + ("A" if body[40] != "A" else "B") + body[41:]
    altered = token.with_name("altered.jwt")
    altered.write_text(f"{head}.{flipped}.{signature}")
    return altered


def _cli(app, *args: str):
    return app.test_cli_runner().invoke(args=list(args))


def test_the_cli_says_valid_and_what_it_certifies(app, files):
    token, jwks = files
    result = _cli(app, "verify-credential", str(token), "--jwks", str(jwks))
    assert result.exit_code == 0, result.output
    kid = json.loads(jwks.read_text())["keys"][0]["kid"]
    assert result.output.startswith("VALID")
    assert "Coopérative Zerbia de Taza" in result.output
    assert f"holder:  {HOLDER}" in result.output
    assert "course:  Photographier son produit" in result.output
    assert f"kid:     {kid}" in result.output


def test_the_cli_says_invalid_and_why(app, files, tmp_path):
    token, jwks = files
    result = _cli(app, "verify-credential", str(_altered(token)), "--jwks", str(jwks))
    assert result.exit_code == 1
    assert result.output.startswith("INVALID") and "altered" in result.output
    stranger = tmp_path / "stranger.json"
    stranger.write_text(
        json.dumps({"keys": [{**json.loads(jwks.read_text())["keys"][0], "kid": "x"}]})
    )
    result = _cli(app, "verify-credential", str(token), "--jwks", str(stranger))
    assert result.exit_code == 1 and "never published" in result.output
    garbage = tmp_path / "garbage.jwt"
    garbage.write_text("not a credential")
    result = _cli(app, "verify-credential", str(garbage), "--jwks", str(jwks))
    assert result.exit_code == 1 and result.output.startswith("INVALID")
    result = _cli(app, "verify-credential", str(token), "--jwks", str(garbage))
    assert result.exit_code == 1 and "not JSON" in result.output


def test_rotating_keeps_older_certificates_verifiable(app, files, tmp_path):
    token, jwks = files
    old = json.loads(jwks.read_text())["keys"][0]["kid"]
    result = _cli(app, "rotate-signing-key")
    assert result.exit_code == 0, result.output
    db = state.of(app).open_db()
    try:
        published = keys.jwks(db)
        assert keys.current(db).kid != old
    finally:
        db.close()
    assert [k["kid"] for k in published["keys"]][1] == old
    assert published["keys"][0]["kid"] in result.output
    rotated = tmp_path / "rotated.json"
    rotated.write_text(json.dumps(published))
    result = _cli(app, "verify-credential", str(token), "--jwks", str(rotated))
    assert result.exit_code == 0 and f"kid:     {old}" in result.output


def _jose(jwks: Path, token: Path) -> dict:
    if shutil.which("node") is None:
        pytest.fail("`node` is not on PATH: this test needs Node.js 20+.")
    if not (JS / "node_modules" / "jose").is_dir():
        pytest.fail(f"jose is missing from {JS}/node_modules: run `make node`.")
    done = subprocess.run(
        ["node", str(VERIFY_JS), str(jwks), str(token)],
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_a_third_partys_jose_library_verifies_it(files):
    token, jwks = files
    result = _jose(jwks, token)
    assert result["valid"], result
    assert result["header"]["alg"] == "EdDSA"
    assert result["header"]["kid"] == json.loads(jwks.read_text())["keys"][0]["kid"]
    vc = result["payload"]["vc"]
    assert "OpenBadgeCredential" in vc["type"]
    assert vc["credentialSubject"]["name"] == HOLDER
    assert result["payload"]["jti"] == vc["id"]
    altered = _jose(jwks, _altered(token))
    assert not altered["valid"] and "ERR_JWS_SIGNATURE_VERIFICATION_FAILED" in altered["error"]
