"""An artisan lists a product with three phone photos over a bad link (low_bandwidth's scenario).

The app, in Python: one ``requests.Session`` (the compact client's, sync/compact/client.py)
for everything, so connections are reused as an app's HTTP stack reuses them. tuspy is not
used: it calls ``requests.post``/``patch`` without a session (a new connection per request)
and has no creation-with-upload. Each photo (a ~118 KB JPEG, like a phone's after its
camera app's resize) goes in one tus creation-with-upload request (``POST
/api/v1/uploads`` carrying the whole file, tests/support/uploads.py), then one ``_sync``
pushes the product and its three photo documents. Two orders an app may take:

- ``sequential``: the three uploads one after the other, then the ``_sync``;
- ``parallel``: the three uploads at once (three connections from the session's pool), then
  the ``_sync`` on one of them, kept alive.

Hirfa runs as under ``make run`` (tests/support/live_server.py: Werkzeug's threaded server
with `make run`'s request handler). The device's first sync runs unshaped; only the
listing runs on the shaped link (bench/link_emulator.py), which counts the bytes each way
and the TCP connections opened. The floor is the time the bytes need on the link,
``up / up rate + down / down rate`` (requests and answers take turns); RTTs, handshakes
and the server's own time come on top of it.
"""

from __future__ import annotations

import secrets
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from api import state
from bench.course_download import picture
from bench.link_emulator import Network, ShapedLink
from sync.compact.client import CompactClient
from tests.support import images
from tests.support.apps import DEMO
from tests.support.live_server import LiveServer
from tests.support.uploads import CHUNK, TUS

PHOTO_SIZE = (1312, 984)  # ~118 KB as a JPEG at quality 85 (`picture` in bench/course_download.py)
ORDERS = ("sequential", "parallel")


def photos() -> list[bytes]:
    return [picture(seed, PHOTO_SIZE) for seed in (1, 2, 3)]


def _upload(client: CompactClient, base: str, data: bytes, photo_id: str) -> None:
    meta = images.metadata_header(data, filename=f"{photo_id[6:]}.jpg", photo_id=photo_id)
    headers = {**TUS, **CHUNK, "Upload-Length": str(len(data)), "Upload-Metadata": meta}
    response = client.session.post(f"{base}/api/v1/uploads", data=data, headers=headers,
                                    timeout=client.timeout_s)  # fmt: skip
    if response.status_code != 201 or response.headers.get("Upload-Offset") != str(len(data)):
        raise RuntimeError(f"upload answered {response.status_code}: {response.text[:300]}")


def list_product(
    client: CompactClient, base: str, shots: list[bytes], order: str
) -> tuple[int, list[str]]:
    """The listing: the photos' bytes, then one _sync with the product and its photos;
    the requests made and the photos' ids."""
    ids = [f"photo:{secrets.token_hex(8)}" for _ in shots]
    if order == "parallel":
        with ThreadPoolExecutor(len(shots)) as pool:
            list(pool.map(lambda pair: _upload(client, base, *pair), zip(shots, ids, strict=True)))
    else:
        for data, photo_id in zip(shots, ids, strict=True):
            _upload(client, base, data, photo_id)
    product_id = f"product:listed-{secrets.token_hex(4)}"
    for data, photo_id in zip(shots, ids, strict=True):
        client.put({"_id": photo_id, "type": "photo", "owner": "art_fatima",
                    "cooperative": "coop-taza-zerbia", "sha256": images.sha256(data),
                    "status": "pending", "product_id": product_id})  # fmt: skip
    client.put({
        "_id": product_id, "type": "product", "owner": "art_fatima",
        "cooperative": "coop-taza-zerbia", "category": "carpets", "status": "draft",
        "title": {"ar": "زربية", "fr": "Zerbia laine teinte au henné"},
        "description": {"fr": "Tissée main à Taza, laine de pays, teintures naturelles."},
        "price_centimes": 240_000, "photos": ids, "created_at": "2026-11-22T09:00:00Z",
    })  # fmt: skip
    moved = client.sync()
    if moved["pushed"] != len(shots) + 1 or client.rejected:
        raise RuntimeError(f"the listing did not go: {moved}, {client.rejected}")
    return len(shots) + moved["requests"], ids


def scenario(network: Network, order: str, shots: list[bytes]) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-photo-listing-") as tmp:
        server = LiveServer(Path(tmp)).start()
        try:
            with ShapedLink("127.0.0.1", server.port) as link:
                base = f"http://127.0.0.1:{link.port}"
                phone, secret = DEMO["artisan"]
                client = CompactClient(f"{base}/sync/hirfa", server.token(phone, **secret),
                                       "bench-photo-device")  # fmt: skip
                client.first_sync()  # unshaped: the phone was in sync before the listing
                client.session.close()  # the listing starts on a cold link, as after a pause
                link.use(network)
                up0, down0 = link.counters()
                connections0 = link.connections_accepted
                started = time.perf_counter()
                requests_made, ids = list_product(client, base, shots, order)
                seconds = time.perf_counter() - started
                up1, down1 = link.counters()
                connections = link.connections_accepted - connections0
                client.close()
            ready = _ready_photos(server, ids)
        finally:
            server.stop()
    up, down = up1 - up0, down1 - down0
    up_rate, down_rate = network.up_kbps * 125, network.down_kbps * 125  # bytes/s
    bytes_s = (up / up_rate if up_rate else 0) + (down / down_rate if down_rate else 0)
    return {
        "network": network.name,
        "workload": f"listing, 3 photos ({order})",
        "order": order,
        "photo_bytes": sum(len(s) for s in shots),
        "requests": requests_made,
        "connections": connections,
        "up_bytes": up,
        "down_bytes": down,
        "bytes_seconds": round(bytes_s, 3),
        "seconds": round(seconds, 3),
        "over_bytes_time": round(seconds / bytes_s, 3) if bytes_s else None,
        "photos_ready": ready,
    }


def _ready_photos(server: LiveServer, ids: list[str]) -> int:
    """How many of the listing's photos the server holds as ready: the listing really went."""
    hirfa = state.of(server.app)
    store = hirfa.store(hirfa.open_db())
    try:
        return sum(store.get_doc(photo_id).get("status") == "ready" for photo_id in ids)
    finally:
        store.db.close()


def measure(networks: list[Network]) -> list[dict[str, Any]]:
    shots = photos()
    rows = []
    for network in networks:
        for order in ORDERS:
            row = scenario(network, order, shots)
            print("  " + str(row), flush=True)
            rows.append(row)
    return rows


def table(rows: list[dict[str, Any]]) -> str:
    header = ("network", "workload", "req", "TCP conns", "up KB", "down KB", "bytes need s",
              "time s", "× bytes time")  # fmt: skip
    lines = [header, ("---",) * len(header)]
    for r in rows:
        lines.append(
            (r["network"], r["workload"], str(r["requests"]), str(r["connections"]),
             f"{r['up_bytes'] / 1000:.1f}", f"{r['down_bytes'] / 1000:.1f}",
             f"{r['bytes_seconds']:.2f}", f"{r['seconds']:.2f}",
             f"{r['over_bytes_time']:.2f}" if r["over_bytes_time"] else "-")
        )  # fmt: skip
    return "\n".join("| " + " | ".join(line) + " |" for line in lines)
