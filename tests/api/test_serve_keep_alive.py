"""`flask --app api serve` (`make run`) keeps connections alive (api/serving.py): several
answers on one TCP connection, streamed ones included, and a close announced when it must."""

from __future__ import annotations

import http.client
import threading

import pytest
from werkzeug.serving import make_server

from api import cli
from seed import populate


@pytest.fixture
def served(app, monkeypatch):
    """A server made from the very arguments `serve` gives run_simple."""
    given: dict = {}

    def run_simple(host, port, application, **options):
        given.update(app=application, options=options)

    monkeypatch.setattr(cli, "run_simple", run_simple)
    result = app.test_cli_runner().invoke(args=["serve", "--port", "0"])
    assert result.exit_code == 0, result.output
    hirfa = app.extensions["hirfa"]
    db = hirfa.open_db()
    populate(db, hirfa.hasher)
    db.close()
    server = make_server("127.0.0.1", 0, given["app"], **given["options"])
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(10)


@pytest.fixture
def conn(served):
    connection = http.client.HTTPConnection("127.0.0.1", served.server_port, timeout=30)
    yield connection
    connection.close()


def ask(conn, method: str, url: str, **kwargs) -> tuple[http.client.HTTPResponse, bytes]:
    conn.request(method, url, **kwargs)
    response = conn.getresponse()
    return response, response.read()


def tus(data: bytes) -> dict[str, str]:
    return {"Tus-Resumable": "1.0.0", "Upload-Length": str(len(data))}


def test_two_requests_are_answered_on_one_connection(conn):
    first, _ = ask(conn, "GET", "/healthz")
    sock = conn.sock
    second, _ = ask(conn, "GET", "/sync/")
    assert (first.status, second.status) == (200, 200)
    assert sock is not None and conn.sock is sock  # http.client reconnects after a close
    assert first.getheader("Connection") is None and first.version == 11


def test_a_streamed_answer_is_chunked_and_the_connection_stays(conn, auth):
    headers = auth.headers("coordinator")
    snapshot, body = ask(conn, "GET", "/sync/hirfa/_snapshot", headers=headers)
    sock = conn.sock
    assert snapshot.status == 200, body[:300]
    assert snapshot.getheader("Transfer-Encoding") == "chunked"
    assert body.count(b"\n") >= 2  # NDJSON lines: the seeded documents
    after, _ = ask(conn, "GET", "/sync/hirfa", headers=headers)
    assert after.status == 200 and conn.sock is sock


def test_an_unread_body_is_drained_before_the_next_request(conn):
    photo = b"\xff\xd8" + b"x" * 20_000  # refused before it is read: no token
    refused, _ = ask(conn, "POST", "/api/v1/uploads", body=photo, headers=tus(photo))
    sock = conn.sock
    after, _ = ask(conn, "GET", "/healthz")
    assert refused.status == 401 and after.status == 200 and conn.sock is sock


def test_a_large_unread_body_closes_the_connection_and_says_so(conn):
    photo = b"\xff\xd8" + b"x" * 300_000
    refused, _ = ask(conn, "POST", "/api/v1/uploads", body=photo, headers=tus(photo))
    assert refused.status == 401
    assert refused.getheader("Connection") == "close"  # the client knows not to reuse it
    assert conn.sock is None


def test_a_client_asking_to_close_gets_its_close(conn):
    answer, _ = ask(conn, "GET", "/healthz", headers={"Connection": "close"})
    assert answer.status == 200 and answer.getheader("Connection") == "close"
    assert conn.sock is None


def test_an_answer_that_breaks_off_closes_the_connection(app, served):
    def broken():
        def body():
            yield b"x" * 10
            raise RuntimeError("the disk went away")  # after the headers: a 500 is too late

        return app.response_class(body(), headers={"Content-Length": "100"})

    app.add_url_rule("/broken", view_func=broken)
    conn = http.client.HTTPConnection("127.0.0.1", served.server_port, timeout=10)
    try:
        conn.request("GET", "/broken")
        response = conn.getresponse()
        with pytest.raises(http.client.IncompleteRead):
            response.read()  # the close ends it; kept open, the client would wait for 90 bytes
    finally:
        conn.close()
