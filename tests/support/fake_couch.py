"""A scripted CouchDB on loopback, for answers pouchdb-server never gives.

Apache CouchDB refuses a whole ``_bulk_docs`` with 412 ``missing_stub``, a cluster can
list a revision in ``_changes`` that ``_bulk_get`` then cannot give, a hub's
``validate_doc_update`` refuses a document: pouchdb-server does none of these, and
Apache CouchDB cannot run here. This fakes CouchDB's HTTP and nothing of ours (the
boundary docs/architecture.md, "Tests", allows), with just enough of the API for one
replication: the database, ``_local`` checkpoints, ``_changes``, ``_revs_diff``, ``_bulk_get``,
``open_revs`` and ``_bulk_docs``. Each endpoint answers from ``answers[kind]`` (a list
of callables ``(body, query) -> (status, json)`` consumed in order, the last one kept),
else a default. Every request is logged in ``requests`` as (kind, body).
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

Answer = Callable[[Any, dict[str, str]], tuple[int | None, Any]]
DROP = None  # an answer's status None: close the connection without a response


class FakeCouch:
    def __init__(self) -> None:
        self.requests: list[tuple[str, Any]] = []
        self.answers: dict[str, list[Answer]] = {}
        self.local: dict[str, dict[str, Any]] = {}
        self.changes: list[dict[str, Any]] = []  # the feed's results, all in one page
        self.docs: dict[tuple[str, str], dict[str, Any]] = {}  # (id, rev) -> doc
        self._lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:
                pass

            def _handle(self) -> None:
                parts = urlsplit(self.path)
                query = {k: v[0] for k, v in parse_qs(parts.query).items()}
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                body = json.loads(raw) if raw else None
                kind = fake._kind(self.command, unquote(parts.path), query)
                with fake._lock:
                    fake.requests.append((kind, body))
                status, answer = fake._answer(kind, body, query, unquote(parts.path))
                if status is DROP:
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_PUT = do_POST = _handle

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/db"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> FakeCouch:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def on(self, kind: str, *answers: Answer) -> None:
        self.answers[kind] = list(answers)

    def sent(self, kind: str) -> list[Any]:
        return [body for k, body in self.requests if k == kind]

    @staticmethod
    def _kind(method: str, path: str, query: dict[str, str]) -> str:
        rest = path.removeprefix("/db").lstrip("/")
        if not rest:
            return f"{method} db"
        if rest.startswith("_local/"):
            return f"{method} _local"
        if rest.startswith("_"):
            return f"{method} {rest}"
        return "GET open_revs" if "open_revs" in query else f"{method} doc"

    def _answer(self, kind: str, body: Any, query: dict[str, str], path: str):
        script = self.answers.get(kind)
        if script:
            answer = script.pop(0) if len(script) > 1 else script[0]
            return answer(body, query)
        if kind == "GET db":
            return 200, {"db_name": "db", "update_seq": len(self.changes)}
        if kind in ("GET _local", "PUT _local"):
            doc_id = path.split("/_local/", 1)[1]
            if kind == "GET _local":
                found = self.local.get(doc_id)
                return (200, found) if found else (404, {"error": "not_found", "reason": "missing"})
            rev = f"0-{int(self.local.get(doc_id, {}).get('_rev', '0-0').split('-')[1]) + 1}"
            self.local[doc_id] = {**body, "_id": f"_local/{doc_id}", "_rev": rev}
            return 201, {"ok": True, "id": f"_local/{doc_id}", "rev": rev}
        if kind == "GET _changes":
            return 200, {"results": self.changes, "last_seq": len(self.changes), "pending": 0}
        if kind == "POST _revs_diff":
            return 200, {doc_id: {"missing": revs} for doc_id, revs in body.items()}
        if kind == "POST _bulk_get":
            results = []
            for want in body["docs"]:
                doc = self.docs.get((want["id"], want["rev"]))
                results.append({"id": want["id"], "docs": [{"ok": doc} if doc else {}]})
            return 200, {"results": results}
        if kind == "GET open_revs":
            doc_id = path.removeprefix("/db/")
            revs = json.loads(query["open_revs"])
            return 200, [{"ok": self.docs[(doc_id, r)]} for r in revs if (doc_id, r) in self.docs]
        if kind == "POST _bulk_docs":
            return 201, []
        return 404, {"error": "not_found", "reason": kind}

    def serve(self, doc: dict[str, Any]) -> None:
        """Put ``doc`` (with ``_rev`` and ``_revisions``) in the feed and the fetchable docs."""
        self.docs[(doc["_id"], doc["_rev"])] = doc
        self.changes.append(
            {"seq": len(self.changes) + 1, "id": doc["_id"], "changes": [{"rev": doc["_rev"]}]}
        )
