"""The HTTP contract: one error shape, 401/403 on every protected endpoint, docs that match."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from api import create_app
from api.openapi import render
from tests.support.apps import make_config

ROOT = Path(__file__).resolve().parents[2]


def _error(response, status, code):
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.is_json
    body = response.get_json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "details"}
    assert body["error"]["code"] == code
    assert body["error"]["message"]
    return body["error"]


def test_unknown_route_is_json_404(client):
    _error(client.get("/api/v1/no-such-thing"), 404, "not_found")
    _error(client.get("/nothing-here"), 404, "not_found")


def test_wrong_method_is_json_405_with_allow(client):
    err = _error(client.delete("/api/v1/auth/login"), 405, "method_not_allowed")
    assert "POST" in err["details"]["allowed"]


def test_malformed_json(client):
    response = client.post(
        "/api/v1/auth/login", data=b'{"phone": ', content_type="application/json"
    )
    _error(response, 400, "invalid_json")


DEEP_JSON = "[" * 100_000 + "]" * 100_000


@pytest.mark.parametrize(
    "path, who", [("/api/v1/auth/login", None), ("/api/v1/products", "artisan")]
)
def test_deeply_nested_json_is_invalid_json_not_a_500(client, auth, path, who):
    headers = auth.headers(who) if who else {}
    response = client.post(path, data=DEEP_JSON, content_type="application/json", headers=headers)
    _error(response, 400, "invalid_json")


def test_json_that_is_not_an_object(client):
    _error(client.post("/api/v1/auth/login", json=[1, 2]), 400, "bad_request")


def test_wrong_content_type(client):
    response = client.post("/api/v1/auth/login", data="phone=1", content_type="text/plain")
    _error(response, 415, "unsupported_media_type")


def test_unknown_fields_are_refused_with_field_messages(client):
    response = client.post(
        "/api/v1/auth/login", json={"phone": "0600000100", "pin": "2580", "role": "admin"}
    )
    err = _error(response, 400, "validation_error")
    assert "role" in err["details"]["fields"]


def test_field_messages_for_several_fields(client):
    response = client.post("/api/v1/buyers", json={"phone": "abc", "password": "short"})
    err = _error(response, 400, "validation_error")
    assert set(err["details"]["fields"]) == {"phone", "password", "display_name"}


def test_oversized_body_is_413_and_nothing_is_stored(tmp_path, db):
    app = create_app(make_config(tmp_path, max_request_bytes=1024))
    client = app.test_client()
    response = client.post(
        "/api/v1/buyers",
        json={"phone": "+33611111111", "display_name": "x" * 5000, "password": "p" * 10},
    )
    _error(response, 413, "payload_too_large")
    conn = app.extensions["hirfa"].open_db()
    assert (
        conn.execute("SELECT count(*) FROM users WHERE phone = '+33611111111'").fetchone()[0] == 0
    )


def test_arabic_is_utf8_not_escaped(client, auth):
    response = client.get("/api/v1/me", headers=auth.headers("artisan"))
    assert "فاطمة".encode() in response.data


def _operations(app):
    """(method, url with sample ids, roles allowed) for every REST operation."""
    found = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1") or rule.endpoint.startswith("api.doc"):
            continue
        view = app.view_functions[rule.endpoint]
        cls = getattr(view, "view_class", None)
        if cls is None:
            continue
        url = re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"sample-\1", rule.rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            fn = getattr(cls, method.lower(), None)
            roles = getattr(fn, "__hirfa_roles__", None)
            found.append((method, url, roles))
    return found


def test_every_operation_is_listed(app):
    ops = _operations(app)
    assert len(ops) >= 15
    assert sum(1 for _, _, roles in ops if roles) >= 9


def test_401_without_token_on_every_protected_endpoint(app, client):
    for method, url, roles in _operations(app):
        if roles is None:
            continue
        response = client.open(url, method=method, json={})
        _error(response, 401, "unauthorized")
        bad = client.open(url, method=method, json={}, headers={"Authorization": "Bearer x.y.z"})
        _error(bad, 401, "invalid_token")


def test_403_for_every_role_not_allowed(app, client, auth):
    role_of = {
        "admin": "admin",
        "coordinator": "coordinator",
        "artisan": "artisan",
        "buyer": "buyer",
    }
    checked = 0
    for method, url, roles in _operations(app):
        if roles is None or roles == ("any",):
            continue
        for who, role in role_of.items():
            if role in roles:
                continue
            response = client.open(url, method=method, json={}, headers=auth.headers(who))
            _error(response, 403, "forbidden")
            checked += 1
    assert checked >= 12


def test_public_endpoints_answer_without_token(client):
    assert client.get("/api/v1/reference/categories").status_code == 200
    assert client.get("/api/v1/cooperatives").status_code == 200


def test_openapi_yaml_matches_the_app():
    on_disk = yaml.safe_load((ROOT / "openapi.yaml").read_text(encoding="utf-8"))
    assert on_disk == yaml.safe_load(render()), "openapi.yaml is stale: run `make openapi`"


def _unexampled(doc: dict, schema: dict, where: str) -> list[str]:
    """Properties, however deep, that Swagger UI would show with no example value."""
    if "$ref" in schema:
        schema = doc["definitions"][schema["$ref"].rsplit("/", 1)[-1]]
    if schema.get("type") == "array" and "example" not in schema:
        return _unexampled(doc, schema.get("items", {}), f"{where}[]")
    missing = []
    for name, prop in (schema.get("properties") or {}).items():
        if "example" in prop:
            continue
        inner = prop.get("items", {}) if prop.get("type") == "array" else prop
        if "$ref" in inner or inner.get("properties"):
            missing += _unexampled(doc, prop, f"{where}.{name}")
        else:
            missing.append(f"{where}.{name}")
    return missing


def test_every_operation_has_summary_description_and_examples():
    """Swagger UI shows an example for every body field, parameter and response header, so
    a phone developer can try each endpoint without reading the code."""
    doc = yaml.safe_load(render())
    assert doc["swagger"] == "2.0"
    missing = []
    for path, item in doc["paths"].items():
        for method, op in item.items():
            if method == "parameters":
                continue
            where = f"{method.upper()} {path}"
            assert op.get("summary"), f"{where} has no summary"
            assert op.get("description"), f"{where} has no description"
            for param in op.get("parameters", []) + item.get("parameters", []):
                if param.get("in") == "body":
                    missing += _unexampled(doc, param["schema"], f"{where} body")
                elif "example" not in param and "x-example" not in param:
                    missing.append(f"{where} {param['in']} parameter {param['name']}")
            for code, response in op.get("responses", {}).items():
                if "schema" in response:
                    missing += _unexampled(doc, response["schema"], f"{where} {code}")
                for name, header in response.get("headers", {}).items():
                    if "x-example" not in header:
                        missing.append(f"{where} {code} header {name}")
    assert missing == []


def test_every_error_response_has_the_error_shape_and_an_example():
    """Each operation documents the errors it can answer (api/swagger_errors.py): the body
    of api/errors.py, an example of it, and 401 and 403 wherever a token is needed."""
    doc = yaml.safe_load(render())
    wrong = []
    for path, item in doc["paths"].items():
        for method, op in item.items():
            if method == "parameters":
                continue
            where = f"{method.upper()} {path}"
            errors = {code: r for code, r in op["responses"].items() if int(code) >= 400}
            for code, response in errors.items():
                example = response.get("examples", {}).get("application/json", {})
                if response.get("schema") != {"$ref": "#/definitions/Error"} or set(
                    example.get("error", {})
                ) != {"code", "message", "details"}:
                    wrong.append(f"{where} {code}")
            if op.get("security") and not {"401", "403"} <= set(errors):
                wrong.append(f"{where}: signed in, without 401 and 403")
    assert wrong == []


def test_swagger_ui_is_served(client):
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    assert b"swagger" in response.data.lower()


def test_health_and_readiness(client):
    assert client.get("/healthz").get_json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.get_json()["status"] == "ready"


@pytest.mark.parametrize("who", ["artisan", "buyer"])
def test_roles_cannot_reach_admin_creation(client, auth, who):
    response = client.post(
        "/api/v1/cooperatives",
        headers=auth.headers(who),
        json={"name_ar": "x", "name_fr": "x", "region": "oriental"},
    )
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "forbidden"
