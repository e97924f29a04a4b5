"""Products in a given state with real photos, made through the REST API as the artisan
and her coordinator would, for the page tests and the browser test."""

from __future__ import annotations

import secrets
from html.parser import HTMLParser
from pathlib import Path

from api.services import media
from tests.support import images
from tests.support.apps import DEMO, Auth

# A customisation a buyer chooses when ordering, with a price difference.
OPTIONS = [
    {
        "code": "size",
        "label": {"ar": "المقاس", "fr": "Taille"},
        "choices": [
            {"code": "m", "label": {"fr": "Moyen"}, "price_delta_centimes": 0},
            {"code": "l", "label": {"fr": "Grand"}, "price_delta_centimes": 50000},
        ],
    }
]


class Listings:
    def __init__(self, app, client):
        self.app, self.client, self.auth = app, client, Auth(client)

    def photo(self, who: str = "artisan", seed: int = 0) -> tuple[str, str]:
        """A ready photo: bytes through the media pipeline, then the photo document."""
        settings = self.app.extensions["hirfa"].settings
        data = images.jpeg((900, 700), seed=seed)
        sha = images.sha256(data)
        src = Path(settings.var_dir) / f"upload-{sha[:12]}.jpg"
        src.parent.mkdir(parents=True, exist_ok=True)
        src.write_bytes(data)
        media.ingest(src, sha, settings.media_dir, settings.media_max_pixels)
        src.unlink()
        photo_id = f"photo:{secrets.token_hex(6)}"
        made = self.client.post(
            "/api/v1/photos",
            json={"id": photo_id, "sha256": sha},
            headers=self.auth.headers(who),
        )
        assert made.status_code == 201 and made.get_json()["status"] == "ready", made.get_json()
        return photo_id, sha

    def product(self, who: str = "artisan", status: str = "submitted", **fields) -> str:
        body = {"category": "carpets", "price_centimes": 100000, **fields, "status": status}
        made = self.client.post("/api/v1/products", json=body, headers=self.auth.headers(who))
        assert made.status_code == 201, made.get_json()
        return made.get_json()["id"]

    def approve(self, product_id: str, coordinator: str = "coordinator") -> None:
        decided = self.client.post(
            f"/api/v1/reviews/{product_id}",
            json={"decision": "approve"},
            headers=self.auth.headers(coordinator),
        )
        assert decided.status_code == 200, decided.get_json()

    def published(self, who: str = "artisan", coordinator: str = "coordinator", **fields) -> str:
        pid = self.product(who, **fields)
        self.approve(pid, coordinator)
        return pid

    def status(self, product_id: str, who: str = "artisan") -> str:
        got = self.client.get(f"/api/v1/products/{product_id}", headers=self.auth.headers(who))
        assert got.status_code == 200, got.get_json()
        return got.get_json()["status"]


class Page(HTMLParser):
    """What the tests read from a page: <html> attributes, meta tags, links, forms."""

    def __init__(self, html: str):
        super().__init__()
        self.html_attrs: dict = {}
        self.meta: dict[str, str] = {}
        self.links: list[str] = []
        self.stylesheets: list[str] = []
        self.scripts: list[str] = []
        self.hidden: dict[str, str] = {}
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "html":
            self.html_attrs = a
        elif tag == "meta" and ("property" in a or "name" in a):
            self.meta[a.get("property") or a["name"]] = a.get("content")
        elif tag == "a" and a.get("href"):
            self.links.append(a["href"])
        elif tag == "link" and a.get("rel") == "stylesheet":
            self.stylesheets.append(a["href"])
        elif tag == "script" and a.get("src"):
            self.scripts.append(a["src"])
        elif tag == "input" and a.get("type") == "hidden":
            self.hidden[a["name"]] = a.get("value")


def page(response) -> Page:
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    return Page(response.get_data(as_text=True))


class Reviewer:
    """Drives /review's forms with a test client, as a browser would."""

    def __init__(self, client):
        self.client = client

    def csrf(self) -> str:
        return page(self.client.get("/review")).hidden["csrf"]

    def sign_in(self, who: str, secret: str | None = None):
        phone, secrets_ = DEMO[who]
        return self.client.post(
            "/review/sign-in",
            data={
                "csrf": self.csrf(),
                "phone": phone,
                "password": secret or next(iter(secrets_.values())),
            },
        )

    def decide(self, product_id: str, decision: str, reasons=(), comment: str = ""):
        return self.client.post(
            "/review/decide",
            data={
                "csrf": self.csrf(),
                "product_id": product_id,
                "decision": decision,
                "reason": list(reasons),
                "comment": comment,
            },
        )
