"""The request handler of `flask --app api serve` (`make run`): Werkzeug's, kept alive.

Werkzeug 3.1's development server speaks HTTP/1.1 when threaded but sends
``Connection: close`` on every answer (serving.py: http.server cannot drain an unread
body before the next request line). On a phone link each new connection pays a TCP
handshake, a round trip of up to a second on EDGE, so this handler keeps the connection
open whenever it can tell where the request and the answer end:

- the request's body is bounded by its Content-Length; what the application left unread
  is drained (up to ``DRAIN_LIMIT``) before the next request line is read. A chunked
  request body (no length) keeps Werkzeug's ``Connection: close``;
- an answer without Content-Length goes chunked (Werkzeug does that under HTTP/1.1), and
  one that fails mid-body closes the connection (Werkzeug does it for chunked answers;
  here also for an answer shorter than its Content-Length);
- a connection idle for ``IDLE_TIMEOUT_S`` between requests is closed, longer than the
  clients' own keep-alive timeouts (undici 4 s, Node's agent 5 s) so that they, not the
  server, close first (RFC 9112 §9.6: a server closing an idle connection races a
  request already on its way);
- TCP_NODELAY, and the headers held until the first body write: Werkzeug writes in
  small pieces, which Nagle's algorithm delays on a connection that stays open.
"""

from __future__ import annotations

import io
import socket
from typing import Any

from werkzeug.serving import WSGIRequestHandler

IDLE_TIMEOUT_S = 75.0  # nginx's keepalive_timeout default
DRAIN_LIMIT = 64 * 1024  # unread request body read and dropped to keep the connection


class _BoundedBody(io.RawIOBase):
    """The request's body and nothing after it: the next request shares the socket."""

    def __init__(self, raw: Any, length: int) -> None:
        self.raw = raw
        self.remaining = length

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self.remaining <= 0:
            return 0
        view = memoryview(buffer)[: self.remaining]
        count = self.raw.readinto(view) or 0
        self.remaining -= count
        return count

    def read(self, size: int | None = -1) -> bytes:
        # Not RawIOBase's: it allocates ``size`` first, and Werkzeug's drain asks for 10 MB
        # after every request.
        size = self.remaining if size is None or size < 0 else min(size, self.remaining)
        data = self.raw.read(size) if size > 0 else b""
        self.remaining -= len(data)
        return data

    def readline(self, limit: int | None = -1) -> bytes:
        size = self.remaining if limit is None or limit < 0 else min(limit, self.remaining)
        line = self.raw.readline(size) if size > 0 else b""
        self.remaining -= len(line)
        return line


class _CountingWriter:
    """The socket's writer, counting what follows the status line and headers, and holding
    the headers until Werkzeug's first flush so that they leave with the start of the body
    in one segment."""

    def __init__(self, raw: Any) -> None:
        self.raw = raw
        self.body_bytes = 0
        self.held: list[bytes] | None = []

    def write(self, data: bytes) -> int:
        self.body_bytes += len(data)
        if self.held is not None:
            self.held.append(bytes(data))
            return len(data)
        return self.raw.write(data)

    def flush(self) -> None:
        if self.held is not None:
            held, self.held = self.held, None
            if held:
                self.raw.write(b"".join(held))
        self.raw.flush()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.raw, name)


class KeepAliveRequestHandler(WSGIRequestHandler):
    protocol_version = "HTTP/1.1"

    def setup(self) -> None:
        super().setup()
        # Werkzeug writes a chunk's size, data and CRLF apart: under Nagle's algorithm a
        # kept-alive connection waits for the peer's delayed ACK (up to 40 ms) between them.
        try:
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            pass  # not TCP (a Unix socket)

    def handle_one_request(self) -> None:
        # Only the wait for a request line is limited; a slow upload or a long answer on
        # a slow link is not.
        self.connection.settimeout(IDLE_TIMEOUT_S)
        super().handle_one_request()

    def parse_request(self) -> bool:
        self.connection.settimeout(None)
        return super().parse_request()

    def log_error(self, format: str, *args: Any) -> None:
        if format.startswith("Request timed out"):
            return  # an idle kept-alive connection closed: normal, not an error
        super().log_error(format, *args)

    def run_wsgi(self) -> None:
        chunked_request = "chunked" in self.headers.get("Transfer-Encoding", "").lower()
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        self._keep_alive = not self.close_connection and not chunked_request and length >= 0
        if not self._keep_alive:
            super().run_wsgi()  # Werkzeug's own way: Connection: close
            return
        raw_in, raw_out = self.rfile, self.wfile
        body = self.rfile = _BoundedBody(raw_in, length)  # type: ignore[assignment]
        writer = self.wfile = _CountingWriter(raw_out)  # type: ignore[assignment]
        self._declared_length: int | None = None
        self._status = 0
        try:
            super().run_wsgi()
        finally:
            writer.flush()
            self.rfile, self.wfile = raw_in, raw_out
            self._keep_alive = False  # http.server's own errors close, as they should
        bodiless = self.command == "HEAD" or self._status in (204, 304) or self._status < 200
        if self._declared_length is not None and not bodiless:
            if writer.body_bytes != self._declared_length:
                self.close_connection = True  # the answer broke off: the client must see it
        if body.remaining > DRAIN_LIMIT:
            self.close_connection = True
        else:
            try:
                while body.remaining and body.read(body.remaining):
                    pass
            except OSError:
                pass
            if body.remaining:
                self.close_connection = True

    def send_response(self, code: int, message: str | None = None) -> None:
        self._status = code
        super().send_response(code, message)

    def send_header(self, keyword: str, value: str) -> None:
        name = keyword.lower()
        if getattr(self, "_keep_alive", False):
            unread = getattr(self.rfile, "remaining", 0)
            if name == "connection" and value.lower() == "close" and unread <= DRAIN_LIMIT:
                return  # Werkzeug's unconditional close; a large unread body keeps it
            if name == "content-length":
                self._declared_length = int(value)
        super().send_header(keyword, value)

    def end_headers(self) -> None:
        super().end_headers()
        if isinstance(self.wfile, _CountingWriter):
            self.wfile.body_bytes = 0  # the headers went through it too
