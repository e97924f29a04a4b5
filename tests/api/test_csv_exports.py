"""What the REST CSV exports take as `lang`: one of the languages, or none (absent or
empty: the caller's own language), each documented so.

/ledger.csv and /insights.csv took an empty `lang=` as not given but documented only the
list of languages, so schemathesis' negative check (tests/api/test_api_fuzz.py) failed
now and then, as its examples vary; /earnings.csv documented the empty value.
"""

from __future__ import annotations

import pytest

from api.openapi import swagger_document

EXPORTS = ["/api/v1/ledger.csv", "/api/v1/earnings.csv", "/api/v1/insights.csv"]


@pytest.mark.parametrize("path", EXPORTS)
@pytest.mark.parametrize("lang", ["de", "AR", "ar,fr"])
def test_a_language_not_offered_is_refused(client, auth, path, lang):
    response = client.get(f"{path}?lang={lang}", headers=auth.headers("coordinator"))
    assert response.status_code == 400, response.get_data(as_text=True)[:200]
    assert response.get_json()["error"]["details"]["allowed"] == ["ar", "fr", "en"]


@pytest.mark.parametrize("path", EXPORTS)
@pytest.mark.parametrize("query", ["", "?lang=", "?lang=ar"])
def test_no_language_or_an_offered_one_is_served(client, auth, path, query):
    response = client.get(f"{path}{query}", headers=auth.headers("coordinator"))
    assert response.status_code == 200
    assert response.mimetype == "text/csv"


SPEC = swagger_document()


@pytest.mark.parametrize("path", EXPORTS)
def test_the_spec_says_an_empty_language_is_taken(path):
    spec = SPEC
    [lang] = [p for p in spec["paths"][path.removeprefix("/api/v1")]["get"]["parameters"]
              if p["name"] == "lang"]  # fmt: skip
    assert lang["enum"] == ["ar", "fr", "en"] and lang["allowEmptyValue"] is True
