"""The share picture of a product (``GET /p/{id}/share.jpg``): its first request, which
draws it (photo, shaped Arabic or French title, price, cooperative; 1200×630 JPEG), and
its later requests, served as a file, beside a thumbnail from ``/media`` in the same run
(aim: within 1.2x of the thumbnail).

Through the real app and Flask's test client. Products are approved with a ready photo
(900×700 JPEG through the media pipeline); each product's first request is timed once,
in Arabic and French in turn. Later requests ask the versioned address the page gives
out, and the thumbnails of the same photos, interleaved so drift hits both alike.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

from bench.results import environment, save
from tests.support.apps import make_app
from tests.support.listings import Listings, page

REPO = Path(__file__).resolve().parent.parent
OUTPUT = REPO / "var" / "bench" / "share_image.json"
PROFILE_OUTPUT = REPO / "var" / "bench" / "share_image_profile.txt"
PRODUCTS, QUICK_PRODUCTS = 40, 8
REQUESTS, QUICK_REQUESTS = 2_000, 200
AIM = 1.2
TITLES = {
    "ar": "زربية بني ورين منسوجة يدويًا بصوف الأطلس",
    "fr": "Tapis Beni Ouarain noué main en laine de l'Atlas",
}


def _ms(values: list[float]) -> dict[str, float]:
    values = sorted(values)
    return {
        "median_ms": round(statistics.median(values) * 1000, 3),
        "p95_ms": round(values[int(len(values) * 0.95) - 1] * 1000, 3),
    }


def _get(client, url: str, **kwargs) -> tuple[float, int]:
    start = time.perf_counter()
    with client.get(url, **kwargs) as response:
        response.get_data()
    return time.perf_counter() - start, response.status_code


def run(quick: bool = False) -> dict:
    n = QUICK_PRODUCTS if quick else PRODUCTS
    requests = QUICK_REQUESTS if quick else REQUESTS
    with tempfile.TemporaryDirectory() as tmp:
        app = make_app(Path(tmp))
        client = app.test_client()
        listings = Listings(app, client)
        made = []
        for i in range(n):
            photo, sha = listings.photo(seed=i)
            pid = listings.published(title=TITLES, price_centimes=450000 + i, photos=[photo])
            lang = ("ar", "fr")[i % 2]
            image = page(client.get(f"/p/{pid}?lang={lang}")).meta["og:image"]
            made.append((image.removeprefix("http://localhost"), f"/media/{sha}/thumb"))
        first = []
        for url, _ in made:
            took, status = _get(client, url)
            assert status == 200, url
            first.append(took)
        share, thumb = [], []
        webp = {"Accept": "image/webp,*/*"}
        for i in range(requests):
            url, thumb_url = made[i % n]
            pair = [(share, url), (thumb, thumb_url)]
            for bucket, target in pair if i % 2 else reversed(pair):
                took, status = _get(client, target, headers=webp)
                assert status == 200, target
                bucket.append(took)
    later, baseline = _ms(share), _ms(thumb)
    report = {
        "benchmark": "share_image",
        "environment": environment(),
        "products": n,
        "requests": requests,
        "first_request": _ms(first),
        "later_requests": later,
        "thumbnail": baseline,
        "ratio_median": round(later["median_ms"] / baseline["median_ms"], 3),
        "aim": AIM,
    }
    save(report, OUTPUT)
    return report


def profile(quick: bool = True) -> str:
    import cProfile
    import io
    import pstats

    profiler = cProfile.Profile()
    profiler.enable()
    run(quick=True)
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(30)
    return out.getvalue()


if __name__ == "__main__":
    run()
