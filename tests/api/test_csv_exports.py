"""What the REST CSV exports take as `lang`: one of the documented languages, or none.

An empty `lang=` was taken as "not given" and answered 200, where the spec lists the
languages: schemathesis' negative check found it (tests/api/test_api_fuzz.py, now and
then, as its examples vary).
"""

from __future__ import annotations

import pytest

EXPORTS = ["/api/v1/ledger.csv", "/api/v1/earnings.csv"]


@pytest.mark.parametrize("path", EXPORTS)
@pytest.mark.parametrize("lang", ["", "de", "AR"])
def test_a_language_not_offered_is_refused(client, auth, path, lang):
    response = client.get(f"{path}?lang={lang}", headers=auth.headers("coordinator"))
    assert response.status_code == 400, response.get_data(as_text=True)[:200]
    assert response.get_json()["error"]["details"]["allowed"] == ["ar", "fr", "en"]


@pytest.mark.parametrize("path", EXPORTS)
@pytest.mark.parametrize("query", ["", "?lang=ar"])
def test_no_language_or_an_offered_one_is_served(client, auth, path, query):
    response = client.get(f"{path}{query}", headers=auth.headers("coordinator"))
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
