"""A loopback fake of the two Google endpoints firebase-admin talks to when it sends:
the OAuth token endpoint (``token_uri`` of a service account) and FCM HTTP v1
``projects/*/messages:send``. Real firebase-admin and google-auth run against it.

Scriptable per device token: ``fake.script(token, "unavailable", "ok")`` answers 503
once, then delivers. Outcomes: ok, unavailable (503), internal (500), quota (429 with
Retry-After), unregistered (404 UNREGISTERED), invalid (400 INVALID_ARGUMENT naming the
token, as FCM answers a malformed one), invalid_message (400 INVALID_ARGUMENT about the
message itself, a bad data value: the token is fine).
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

FCM_ERROR = "type.googleapis.com/google.firebase.fcm.v1.FcmError"
OUTCOMES = {
    "ok": (200, None, None),
    "unavailable": (503, "UNAVAILABLE", None),
    "internal": (500, "INTERNAL", None),
    "quota": (429, "RESOURCE_EXHAUSTED", "QUOTA_EXCEEDED"),
    "unregistered": (404, "NOT_FOUND", "UNREGISTERED"),
    "invalid": (400, "INVALID_ARGUMENT", "INVALID_ARGUMENT"),
    "invalid_message": (400, "INVALID_ARGUMENT", "INVALID_ARGUMENT"),
}
# FCM's own wording for each error, where it matters to the client.
MESSAGES = {
    "invalid": "The registration token is not a valid FCM registration token",
    "invalid_message": "Invalid value at 'message.data[0].value' (TYPE_STRING), 12",
}
BAD_REQUEST = "type.googleapis.com/google.rpc.BadRequest"


class FakeFCM:
    def __init__(self) -> None:
        self.requests: list[dict] = []  # every messages:send, with the answer's status
        self.tokens_issued = 0
        # Seconds each messages:send takes to answer: a model of the round trip to
        # Google for the benchmark (bench/push.py); tests leave it at 0.
        self.latency = 0.0
        self._script: dict[str, list[str]] = {}
        self._lock = threading.Lock()
        self._names = itertools.count(1)
        self._server: ThreadingHTTPServer | None = None
        self.url = ""

    # scripting and inspection

    def script(self, token: str, *outcomes: str) -> None:
        assert all(o in OUTCOMES for o in outcomes), outcomes
        with self._lock:
            self._script[token] = list(outcomes)

    def delivered(self, token: str | None = None) -> list[dict]:
        """Messages answered 200, optionally to one token."""
        return [
            r["message"]
            for r in self.requests
            if r["status"] == 200 and (token is None or r["message"].get("token") == token)
        ]

    def _outcome(self, token: str) -> str:
        with self._lock:
            queue = self._script.get(token)
            return queue.pop(0) if queue else "ok"

    # the server

    def start(self) -> FakeFCM:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as Google's front ends
            # Headers and body go out in two writes: without TCP_NODELAY, Nagle and the
            # client's delayed ACK add 40 ms to every answer on a kept-alive connection.
            disable_nagle_algorithm = True

            def log_message(self, *args) -> None:
                pass

            def _answer(self, status: int, body: dict, headers: dict | None = None) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if self.path == "/token":
                    # google-auth's JWT-bearer grant; the assertion's `aud` is Google's
                    # URL, so it is not checked here (docs/library-notes.md).
                    form = parse_qs(raw.decode())
                    assert form["grant_type"] == ["urn:ietf:params:oauth:grant-type:jwt-bearer"]
                    with fake._lock:
                        fake.tokens_issued += 1
                    return self._answer(
                        200,
                        {"access_token": "fake-access", "expires_in": 3600, "token_type": "Bearer"},
                    )
                if not self.path.endswith("/messages:send"):
                    return self._answer(404, {"error": {"code": 404, "status": "NOT_FOUND"}})
                if self.headers.get("Authorization") != "Bearer fake-access":
                    return self._answer(401, {"error": {"code": 401, "status": "UNAUTHENTICATED"}})
                message = json.loads(raw)["message"]
                if fake.latency:
                    time.sleep(fake.latency)
                outcome = fake._outcome(message.get("token", ""))
                status, code, fcm_code = OUTCOMES[outcome]
                with fake._lock:
                    fake.requests.append({"message": message, "status": status, "path": self.path})
                if status == 200:
                    project = self.path.split("/")[3]
                    name = f"projects/{project}/messages/{next(fake._names)}"
                    return self._answer(200, {"name": name})
                error = {"code": status, "message": MESSAGES.get(outcome, outcome), "status": code}
                if fcm_code:
                    error["details"] = [{"@type": FCM_ERROR, "errorCode": fcm_code}]
                if outcome == "invalid_message":
                    field = {"field": "message.data[0].value", "description": "Invalid value"}
                    error["details"].append({"@type": BAD_REQUEST, "fieldViolations": [field]})
                headers = {"Retry-After": "120"} if status == 429 else None
                return self._answer(status, {"error": error}, headers)

        class Server(ThreadingHTTPServer):
            daemon_threads = True
            request_queue_size = 1024  # send_each opens up to 500 connections at once

        self._server = Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def service_account(self, directory: Path, project_id: str = "hirfa-test") -> Path:
        """A service-account JSON with a key generated here and ``token_uri`` on us."""
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode()
        path = Path(directory) / "service-account.json"
        path.write_text(
            json.dumps(
                {
                    "type": "service_account",
                    "project_id": project_id,
                    "private_key_id": "test-key",
                    "private_key": pem,
                    "client_email": f"push@{project_id}.iam.gserviceaccount.com",
                    "client_id": "1",
                    "token_uri": f"{self.url}/token",
                }
            )
        )
        return path


@pytest.fixture
def fake_fcm():
    fake = FakeFCM().start()
    yield fake
    fake.stop()
