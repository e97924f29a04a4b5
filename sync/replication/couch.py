"""The CouchDB client the replicator uses: python-couchdb's resource layer, our errors.

Built on ``couchdb.http`` (Session, Resource) rather than ``couchdb.Database``: the
replicator needs ``_revs_diff``, ``_bulk_get``, ``open_revs`` with ``atts_since`` and
``_local`` documents with their revisions, which the high-level class does not expose.
Every call has a socket timeout; nothing from ``couchdb``, ``http.client`` or ``socket``
escapes: a failure is :class:`HubUnreachable` (the link; retry later) or
:class:`HubRefused` (the hub answered with an error).
"""

from __future__ import annotations

import http.client
import json
import socket
from collections import Counter
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from couchdb import http as couch_http


class HubError(Exception):
    """The replica could not do what was asked."""


class HubUnreachable(HubError):
    """No answer: refused, reset, timed out or cut mid-response. Retrying later may work."""


class HubIncomplete(HubError):
    """The hub answered without revisions it had just listed as changed (a read racing
    compaction, a lagging cluster node). Transient: the batch is retried, not skipped."""


class HubRefused(HubError):
    """The replica answered with an HTTP error (``status``, CouchDB's ``error``)."""

    def __init__(self, status: int, error: str, reason: str = ""):
        super().__init__(f"{status} {error}: {reason}".strip())
        self.status, self.error, self.reason = status, error, reason


class _NoCache(dict):
    """python-couchdb caches every GET with an ETag, body included: not for a replicator."""

    def __setitem__(self, key, value) -> None:
        pass


class _Pool(couch_http.ConnectionPool):
    """Also remembers the connections it lent: python-couchdb forgets one whose request
    failed without closing it, which would leak a socket per failure. Once aborted, it
    lends nothing more: a connection opened while ``abort`` ran is shut down too."""

    def __init__(self, timeout: float):
        super().__init__(timeout)
        self.lent: list[Any] = []
        self.aborted = False

    def get(self, url):
        if self.aborted:
            raise ConnectionAbortedError("the client was stopped")
        conn = super().get(url)  # may connect: outside the lock, which abort() needs
        # Lent and the abort flag change under one lock, so either abort() sees this
        # connection and shuts it, or this sees the flag: none slips between the two.
        with self.lock:
            if not self.aborted:
                self.lent.append(conn)
                return conn
        _shut(conn)
        raise ConnectionAbortedError("the client was stopped")

    def release(self, url, conn) -> None:
        with self.lock:
            if conn in self.lent:
                self.lent.remove(conn)
        super().release(url, conn)

    def close_all(self, abort: bool = False) -> None:
        # After a failure, idle keep-alive connections are suspect too (pouchdb-server
        # drops them after 5 s idle; python-couchdb retries only some of those errors).
        with self.lock:
            self.aborted = self.aborted or abort
            conns = [c for pooled in self.conns.values() for c in pooled] + self.lent
            self.conns.clear()
            self.lent = []
        for conn in conns:
            _shut(conn)


def _shut(conn: Any) -> None:
    # shutdown() first: close() alone does not wake a thread blocked reading this socket
    # on Linux, and a stalled link would hold it for the timeout.
    sock = getattr(conn, "sock", None)
    if sock is not None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
    conn.close()


_LINK_ERRORS = (OSError, http.client.HTTPException, couch_http.RedirectLimit, ValueError)
# Statuses with which a server says it has no _bulk_get (CouchDB < 2.0 takes the name
# for a document id): fall back to GET ...?open_revs (replication protocol, "Fetch
# Changed Documents").
_NO_BULK_GET = {400, 404, 405, 415, 501}


def redact(url: str) -> str:
    """The URL without its credentials, for logs, replication ids and the status page."""
    parts = urlsplit(url)
    netloc = parts.hostname or ""
    if parts.port:
        netloc += f":{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path.rstrip("/"), "", ""))


def _query(params: dict[str, Any]) -> dict[str, str]:
    """CouchDB query values: booleans as true/false, lists and objects as JSON."""
    out = {}
    for key, value in params.items():
        if value is None:
            continue
        if isinstance(value, bool):
            out[key] = "true" if value else "false"
        elif isinstance(value, list | dict):
            out[key] = json.dumps(value, separators=(",", ":"))
        else:
            out[key] = str(value)
    return out


class CouchClient:
    """One CouchDB database. ``requests`` counts requests sent by kind, ``docs_sent``
    documents sent with ``_bulk_docs``, both per attempt (a retry counts again): the tests
    check them to prove nothing is sent twice."""

    def __init__(self, url: str, timeout: float = 60.0):
        self.url = url.rstrip("/")
        self.safe_url = redact(self.url)
        self.timeout = timeout
        # No retries inside python-couchdb (an empty retryable_errors set: an empty
        # retry_delays list makes its retry loop raise UnboundLocalError): _call owns
        # them, so each request on the wire is counted.
        self.session = couch_http.Session(cache=_NoCache(), timeout=timeout, retryable_errors=())
        self.pool = self.session.connection_pool = _Pool(timeout)
        self.resource = couch_http.Resource(self.url, self.session)
        self.requests: Counter[str] = Counter()
        self.docs_sent = 0
        self.has_bulk_get = True
        self.aborted = False

    def close(self) -> None:
        self.pool.close_all()

    def abort(self) -> None:
        """From another thread: make a call blocked on the link return now (HubUnreachable),
        and every later call fail at once. For stopping a worker."""
        self.aborted = True
        self.pool.close_all(abort=True)

    def _call(
        self,
        kind: str,
        method: str,
        path: list[str] | None,
        body=None,
        headers=None,
        sending: int = 0,
        **q,
    ):
        """(status, decoded JSON); one immediate retry on a fresh connection, as every
        request the replicator makes is idempotent (writes carry their revisions).
        ``sending``: documents in the body, added to ``docs_sent`` per attempt."""
        for attempt in (1, 2):
            if self.aborted:
                raise HubUnreachable(f"{kind}: the client was stopped")
            self.requests[kind] += 1
            self.docs_sent += sending
            try:
                status, _, data = self.resource._request_json(
                    method, path, body=body, headers=headers, **_query(q)
                )
                if hasattr(data, "read"):  # a non-JSON body
                    data = data.read()
                return status, data
            except couch_http.HTTPError as exc:
                raise _refused(exc) from exc
            except _LINK_ERRORS as exc:
                self.pool.close_all()
                if attempt == 2 or self.aborted:
                    raise HubUnreachable(f"{kind}: {type(exc).__name__}: {exc}") from exc
        raise AssertionError("unreachable")

    # database

    def info(self) -> dict[str, Any]:
        return self._call("GET db", "GET", None)[1]

    def create(self) -> None:
        try:
            self._call("PUT db", "PUT", None)
        except HubRefused as exc:
            if exc.status != 412:  # file_exists: someone else created it first
                raise

    # _local documents (checkpoints)

    def get_local(self, doc_id: str) -> dict[str, Any] | None:
        try:
            return self._call("GET _local", "GET", ["_local", doc_id])[1]
        except HubRefused as exc:
            if exc.status == 404:
                return None
            raise

    def put_local(self, doc_id: str, doc: dict[str, Any]) -> str:
        return self._call("PUT _local", "PUT", ["_local", doc_id], body=doc)[1]["rev"]

    # the replication protocol

    def changes(self, since: Any, limit: int) -> dict[str, Any]:
        return self._call(
            "GET _changes", "GET", ["_changes"], style="all_docs", since=since, limit=limit
        )[1]

    def revs_diff(self, revs: dict[str, list[str]]) -> dict[str, Any]:
        return self._call("POST _revs_diff", "POST", ["_revs_diff"], body=revs)[1]

    def bulk_get(self, wanted: list[dict[str, Any]]) -> list[dict[str, Any]] | None:
        """``{"ok": doc}`` entries (with ``_revisions`` and inline attachments), or None
        when the server has no ``_bulk_get``."""
        try:
            _, data = self._call(
                "POST _bulk_get",
                "POST",
                ["_bulk_get"],
                body={"docs": wanted},
                revs=True,
                attachments=True,
                latest=True,
            )
        except HubRefused as exc:
            if exc.status in _NO_BULK_GET:
                self.has_bulk_get = False
                return None
            raise
        # pouchdb-server answers a missing revision with {} where CouchDB gives an error
        # object (docs/library-notes.md): keep what came back; the caller checks for gaps.
        return [d for r in data.get("results", []) for d in r.get("docs", []) if "ok" in d]

    def open_revs(self, doc_id: str, revs: list[str], atts_since: list[str]) -> list[dict]:
        # Accept: application/json, or CouchDB answers multipart/mixed.
        _, data = self._call(
            "GET open_revs",
            "GET",
            [doc_id],
            headers={"Accept": "application/json"},
            open_revs=revs,
            revs=True,
            attachments=True,
            latest=True,
            atts_since=atts_since or None,
        )
        return [d for d in data if "ok" in d]

    def bulk_docs(self, docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Write replicated revisions as they are; returns the per-document errors."""
        _, data = self._call(
            "POST _bulk_docs",
            "POST",
            ["_bulk_docs"],
            body={"docs": docs, "new_edits": False},
            sending=len(docs),
        )
        return [r for r in data or [] if isinstance(r, dict) and "error" in r]

    def longpoll(
        self, since: Any, heartbeat_ms: int, timeout_ms: int, stop: Callable[[], bool]
    ) -> dict[str, Any] | None:
        """Wait for a change after ``since``; None when ``stop()`` turned true meanwhile.

        Read piece by piece so that each heartbeat newline gives a chance to stop:
        pouchdb-server ignores ``timeout`` on longpoll (docs/library-notes.md).
        """
        if self.aborted:
            raise HubUnreachable("longpoll: the client was stopped")
        self.requests["GET _changes longpoll"] += 1
        try:
            _, headers, body = self.resource._request(
                "GET",
                ["_changes"],
                **_query(
                    {
                        "feed": "longpoll",
                        "style": "all_docs",
                        "since": since,
                        "heartbeat": heartbeat_ms,
                        "timeout": timeout_ms,
                        "limit": 1,
                    }
                ),
            )
            response = getattr(body, "resp", None)
            if response is None:  # short, buffered answer
                return json.loads(body.read() or b"{}")
            chunks = []
            while not response.isclosed():
                if stop():
                    body.conn.close()  # a longpoll's connection cannot go back to the pool
                    return None
                piece = response.read1(65536)
                if not piece:
                    break
                chunks.append(piece)
            body.close()
            return json.loads(b"".join(chunks).strip() or b"{}")
        except couch_http.HTTPError as exc:
            raise _refused(exc) from exc
        except Exception as exc:
            if self.aborted:
                # abort() (another thread) closed the response under this read: http.client
                # then fails in ways of its own, an AttributeError among them. Stopped.
                return None
            if not isinstance(exc, _LINK_ERRORS):
                raise
            self.pool.close_all()
            raise HubUnreachable(f"longpoll: {type(exc).__name__}: {exc}") from exc


def _refused(exc: couch_http.HTTPError) -> HubRefused:
    statuses = {
        couch_http.Unauthorized: 401,
        couch_http.Forbidden: 403,
        couch_http.ResourceNotFound: 404,
        couch_http.ResourceConflict: 409,
        couch_http.PreconditionFailed: 412,
    }
    detail = exc.args[0] if exc.args else ""
    status = statuses.get(type(exc), 500)
    if isinstance(exc, couch_http.ServerError) and isinstance(detail, tuple):
        status, detail = detail
    if isinstance(detail, tuple) and len(detail) == 2:
        return HubRefused(status, str(detail[0]), str(detail[1]))
    text = detail.decode("utf-8", "replace") if isinstance(detail, bytes) else str(detail)
    return HubRefused(status, "error", text[:200])
