"""A course's first download on a bad link: the bundle against the same files one by one.

The course: two lessons, three pictures (display WebP, ~40 KB each) and one voice clip
(seed/media/voice.opus, 8 s of Opus, 58 KB once its tags are gone), uploaded through tus
by its coordinator, unshaped, to Hirfa as it runs in production (gunicorn gthread,
keep-alive: tests/support/production_server.py). Then an artisan's phone, through
bench/link_emulator.py (EDGE: 240/200 kbps, 840 ms RTT; and loopback), on one kept-alive
connection each:

- bundle: ``GET /api/v1/courses/{id}/bundle``, one request (api/services/course_bundle.py);
- one by one (the baseline): the course document (``GET /sync/hirfa/{id}``, as a phone
  reads one document) then each ``/media`` URL the lessons name, in order.

Bytes are counted on the wire by the emulator, HTTP headers included; time is the
median of the repetitions. The ratio is the baseline's time over the bundle's.
"""

from __future__ import annotations

import cProfile
import io
import json
import pstats
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests
from PIL import Image, ImageDraw, ImageFilter

from api import create_app, state
from bench.link_emulator import EDGE, LOOPBACK, Network, ShapedLink
from bench.results import environment
from tests.support import images
from tests.support.apps import FAST_KDF, Auth, make_app
from tests.support.production_server import KEY, gunicorn_hirfa, sign_in
from tests.support.training import COURSE, course
from tests.support.uploads import CHUNK, TUS

REPO = Path(__file__).resolve().parent.parent
OUTPUT = REPO / "var" / "bench" / "course_download.json"
PROFILE_OUTPUT = REPO / "var" / "bench" / "course_download_profile.txt"
CLIP = REPO / "seed" / "media" / "voice.opus"
REPEATS, QUICK_REPEATS = 3, 1
WEBP = {"Accept": "image/webp,image/*,*/*;q=0.8"}


def picture(seed: int, size: tuple[int, int] = (1600, 1200)) -> bytes:
    """A photo-like JPEG whose display WebP weighs about 40 KB: noise under a colour
    gradient, rings, a light blur."""
    rnd = random.Random(seed)
    noise = Image.merge("RGB", [Image.effect_noise(size, 30) for _ in range(3)])
    ramp = Image.linear_gradient("L").resize(size)
    tint = Image.merge("RGB", (ramp, ramp.transpose(Image.Transpose.ROTATE_90).resize(size),
                               Image.new("L", size, 120)))  # fmt: skip
    im = Image.blend(noise, tint, 0.6)
    draw = ImageDraw.Draw(im)
    for _ in range(30):
        x, y, r = rnd.randrange(size[0]), rnd.randrange(size[1]), rnd.randrange(40, 400)
        colour = tuple(rnd.randrange(256) for _ in range(3))
        draw.ellipse((x - r, y - r, x + r, y + r), outline=colour, width=rnd.randrange(4, 30))
    buf = io.BytesIO()
    im.filter(ImageFilter.GaussianBlur(2.5)).save(buf, "JPEG", quality=85)
    return buf.getvalue()


def _upload(client, headers: dict[str, str], data: bytes, filename: str) -> dict[str, Any]:
    response = client.post(
        "/api/v1/uploads",
        data=data,
        headers={**headers, **TUS, **CHUNK, "Upload-Length": str(len(data)),
                 "Upload-Metadata": images.metadata_header(data, filename=filename)},
    )  # fmt: skip
    assert response.status_code == 201, response.get_data(as_text=True)
    found = client.get(f"/api/v1/lesson-media/{images.sha256(data)}", headers=headers)
    assert found.status_code == 200, found.get_json()
    return found.get_json()


def same_store(tmp: Path):
    """The app of the gunicorn server's store and media folder, in this process."""
    var_dir = str(tmp / "var")
    return create_app({"env": "production", "jwt_signing_key": KEY, "var_dir": var_dir,
                       **FAST_KDF})  # fmt: skip


def prepare(app) -> dict[str, Any]:
    """Upload the files as the coordinator, write the course: what the phone will fetch."""
    client = app.test_client()
    headers = Auth(client).headers("coordinator")
    pictures = [_upload(client, headers, picture(seed), f"p{seed}.jpg") for seed in (1, 2, 3)]
    clip = _upload(client, headers, CLIP.read_bytes(), "voice.ogg")
    doc = course()
    doc["lessons"][0]["steps"] += [{"kind": "picture", "media": p["media"]} for p in pictures[:2]]
    doc["lessons"][1]["steps"] += [
        {"kind": "audio", "text": {"fr": "Écoutez"}, "media": clip["media"]},
        {"kind": "picture", "media": pictures[2]["media"]},
    ]
    hirfa = state.of(app)
    db = hirfa.open_db()
    try:
        hirfa.store(db).put(doc)
    finally:
        db.close()
    return {
        "urls": [f["url"] for f in (*pictures[:2], clip, pictures[2])],
        "media_bytes": sum(f["media"]["bytes"] for f in (*pictures, clip)),
    }


def _get(session: requests.Session, url: str, headers: dict[str, str]) -> bytes:
    response = session.get(url, headers=headers, timeout=300)
    response.raise_for_status()
    return response.content


def bundle_path(base: str, token: str, _files: dict[str, Any]) -> tuple[int, int]:
    with requests.Session() as session:
        data = _get(session, f"{base}/api/v1/courses/{COURSE}/bundle",
                    {"Authorization": f"Bearer {token}"})  # fmt: skip
    return 1, len(data)


def one_by_one(
    base: str, token: str, files: dict[str, Any], close: bool = False
) -> tuple[int, int]:
    auth = {"Authorization": f"Bearer {token}"}
    extra = {"Connection": "close"} if close else {}
    with requests.Session() as session:
        received = len(_get(session, f"{base}/sync/hirfa/{COURSE}", {**auth, **extra}))
        for url in files["urls"]:
            received += len(_get(session, f"{base}{url}", {**WEBP, **extra}))
    return 1 + len(files["urls"]), received


def one_by_one_closing(base: str, token: str, files: dict[str, Any]) -> tuple[int, int]:
    """The same without keep-alive: a connection (a TCP handshake) per file."""
    return one_by_one(base, token, files, close=True)


BASELINE = "one by one"
PATHS: dict[str, Callable[[str, str, dict[str, Any]], tuple[int, int]]] = {
    BASELINE: one_by_one,
    "one by one, a connection each": one_by_one_closing,
    "bundle": bundle_path,
}


def measure(networks: list[Network], repeats: int) -> list[dict[str, Any]]:
    rows = []
    with (
        tempfile.TemporaryDirectory(prefix="bench-course-") as tmp,
        gunicorn_hirfa(Path(tmp)) as url,
    ):
        files = prepare(same_store(Path(tmp)))
        token = sign_in(url, "artisan")["Authorization"].removeprefix("Bearer ")
        port = int(url.rsplit(":", 1)[1])
        for network in networks:
            for name, fetch in PATHS.items():
                seconds = []
                for _ in range(repeats):
                    with ShapedLink("127.0.0.1", port, network) as link:
                        up0, down0 = link.counters()
                        started = time.perf_counter()
                        count, body = fetch(f"http://127.0.0.1:{link.port}", token, files)
                        seconds.append(time.perf_counter() - started)
                        up1, down1 = link.counters()
                row = {
                    "network": network.name,
                    "path": name,
                    "requests": count,
                    "connections": link.connections_accepted,
                    "body_bytes": body,
                    "up_bytes": up1 - up0,
                    "down_bytes": down1 - down0,
                    "seconds": round(statistics.median(seconds), 3),
                    "media_bytes": files["media_bytes"],
                }
                print("  " + json.dumps(row, ensure_ascii=False), flush=True)
                rows.append(row)
    base = {r["network"]: r for r in rows if r["path"] == BASELINE}
    for row in rows:
        ref = base[row["network"]]
        row["speedup"] = round(ref["seconds"] / row["seconds"], 2) if row["seconds"] else None
    return rows


def table(rows: list[dict[str, Any]]) -> str:
    header = ("link", "path", "requests", "connections", "up KB", "down KB", "time s",
              "× faster")  # fmt: skip
    lines = [header, ("---",) * len(header)]
    for r in rows:
        lines.append(
            (r["network"], r["path"], str(r["requests"]), str(r["connections"]),
             f"{r['up_bytes'] / 1000:.1f}",
             f"{r['down_bytes'] / 1000:.1f}", f"{r['seconds']:.2f}", f"{r['speedup']:.2f}")
        )  # fmt: skip
    return "\n".join("| " + " | ".join(line) + " |" for line in lines)


def run(quick: bool = False, **_options: Any) -> dict[str, Any]:
    repeats = QUICK_REPEATS if quick else REPEATS
    print(f"course_download: bundle vs one by one, loopback and EDGE, {repeats} run(s) each")
    rows = measure([LOOPBACK, EDGE], repeats)
    report = {"benchmark": "course_download", "quick": quick, "repeats": repeats,
              "results": rows, "environment": environment()}  # fmt: skip
    print(table(rows))
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n")
    print(f"written to {OUTPUT}")
    return report


def profile(quick: bool = False) -> str:
    """cProfile of the server building and serving the bundle, unshaped."""
    with tempfile.TemporaryDirectory(prefix="bench-course-") as tmp:
        app = make_app(Path(tmp))
        prepare(app)
        client = app.test_client()
        headers = Auth(client).headers("artisan")
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(20 if quick else 200):
            response = client.get(f"/api/v1/courses/{COURSE}/bundle", headers=headers)
            response.get_data()
            response.close()
        profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(
        f"{REPO}/(api|sync)/", 25
    )
    return out.getvalue()
