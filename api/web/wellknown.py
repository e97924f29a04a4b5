"""What a verifier fetches, with no account: the public keys certificates are signed with
(``/.well-known/jwks.json``), the revocation list (``/credentials/status``) and a
certificate's signed credential file (``/v/{code}/credential.jwt``).

Outside the pages' blueprint: the same bytes in every language, so no language cookie
and no ``Vary`` on it. Each is a read of a table by an index (``signing_keys``, the
partial index of revoked ``certificates``, the certificate's document by its id),
cached for a minute: a rotated key or a revocation is seen within one. Anyone may read
them from any origin, as a verifier in a browser has to.
"""

from __future__ import annotations

from flask import Blueprint, Response, json

from schemas.training import certificate_id

from ..services.training import certificates, keys
from ..state import hirfa
from .certificate_pages import CODE_MAX

blueprint = Blueprint("credentials", __name__)

CACHE = "public, max-age=60"


def _public(response: Response) -> Response:
    response.headers["Cache-Control"] = CACHE
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


def _json(body: dict) -> Response:
    return _public(Response(json.dumps(body), mimetype="application/json"))


@blueprint.get("/.well-known/jwks.json")
def jwks():
    return _json(keys.jwks(hirfa().db()))


@blueprint.get(certificates.STATUS_PATH)
def status():
    return _json(certificates.status_list(hirfa().db()))


@blueprint.get("/v/<code>/credential.jwt")
def credential_file(code: str):
    db = hirfa().db()
    found = certificates.lookup(db, code) if len(code) <= CODE_MAX else None
    body = hirfa().store(db).winner_body(certificate_id(found["code"])) if found else None
    token = (body or {}).get("credential")
    if not isinstance(token, str):
        return _public(
            Response(
                json.dumps({"error": {"code": "not_found", "message": "No such certificate."}}),
                status=404,
                mimetype="application/json",
            )
        )
    response = Response(token, mimetype="application/jwt")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="certificate-{found["code"]}.jwt"'  # type: ignore[index]
    )
    return _public(response)
