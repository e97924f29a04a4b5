"""gzip for the sync endpoints: answers when the client accepts it, bodies it sends.

On EDGE (240/200 kbps) the bytes are the wait: JSON of listings shrinks 3-6x with gzip,
and an answer that is not compressed costs seconds. Content negotiation as in RFC 9110
§12.5.3 (Accept-Encoding with q-values) and §8.4 (Content-Encoding of a request body).
"""

from __future__ import annotations

import functools
import gzip
import zlib
from collections.abc import Iterable, Iterator

from flask import Response, request

from sync.store.errors import InvalidInput, TooLarge

from .face import current

# Worth compressing: JSON, NDJSON and text. Photos and other attachments already are.
_COMPRESSIBLE = ("application/json", "application/x-ndjson", "text/")


@functools.lru_cache(maxsize=64)  # clients send one of a handful of values
def accepts_gzip(header: str | None) -> bool:
    """Whether an Accept-Encoding value allows gzip (``gzip;q=0`` forbids it)."""
    best: float | None = None
    for item in (header or "").split(","):
        name, _, params = item.strip().partition(";")
        name = name.strip().lower()
        if name not in ("gzip", "x-gzip", "*"):
            continue
        q = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if name == "*" and best is not None:
            continue  # an explicit gzip entry wins over the wildcard
        best = q
    return bool(best and best > 0)


def client_accepts_gzip() -> bool:
    return accepts_gzip(request.headers.get("Accept-Encoding"))


def gunzip_limited(data: bytes, limit: int) -> bytes:
    """Inflate a gzip request body, refusing more than ``limit`` bytes (a zip bomb)."""
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    try:
        out = inflater.decompress(data, limit + 1)
    except zlib.error as exc:
        raise InvalidInput(f"the body is not valid gzip: {exc}") from exc
    if len(out) > limit:
        raise TooLarge(f"the body inflates to more than {limit} bytes")
    if not inflater.eof:
        raise InvalidInput("the gzip body is truncated")
    return out


def request_body() -> bytes:
    """The raw request body, inflated when it came with ``Content-Encoding: gzip``."""
    data = request.get_data(cache=True)
    encoding = request.headers.get("Content-Encoding", "identity").strip().lower()
    if encoding in ("", "identity"):
        return data
    if encoding not in ("gzip", "x-gzip"):
        raise InvalidInput(f"unsupported Content-Encoding {encoding!r}; send gzip or identity")
    return gunzip_limited(data, current().settings.max_request_bytes)


def gzip_response(response: Response) -> Response:
    """Compress a finished (not streamed) answer when the client accepts gzip.

    Registered as an ``after_request`` of the sync blueprint (sync/http/__init__.py);
    also called directly by the REST alias of the compact protocol.
    """
    headers = response.headers
    if "Vary" in headers:
        response.vary.add("Accept-Encoding")
    else:  # the usual case, without parsing and rewriting a header set
        headers["Vary"] = "Accept-Encoding"
    if (
        response.direct_passthrough
        or response.is_streamed
        or response.status_code < 200
        or response.status_code in (204, 304)
        or "Content-Encoding" in headers
        or not (response.mimetype or "").startswith(_COMPRESSIBLE)
        or request.method == "HEAD"
        or not client_accepts_gzip()
    ):
        return response
    data = response.get_data()
    settings = current().settings
    if len(data) < settings.gzip_min_bytes:
        return response  # below a few hundred bytes the gzip header costs more than it saves
    response.set_data(gzip.compress(data, compresslevel=settings.gzip_level, mtime=0))
    response.headers["Content-Encoding"] = "gzip"
    # The ETag stays as it is: on /sync it is the document's revision, which clients send
    # back in If-Match; CouchDB clients read it as a revision, not as a hash of the bytes.
    return response


def gzip_stream(
    chunks: Iterable[bytes], level: int, flush_bytes: int = 32 * 1024
) -> Iterator[bytes]:
    """gzip a stream, flushing every ``flush_bytes`` of input.

    The sync flush (Z_SYNC_FLUSH) makes what was sent so far decodable, so a client whose
    connection drops keeps every complete line it received and can resume after it.
    """
    deflater = zlib.compressobj(level, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    pending = 0
    for chunk in chunks:
        out = deflater.compress(chunk)
        pending += len(chunk)
        if pending >= flush_bytes:
            out += deflater.flush(zlib.Z_SYNC_FLUSH)
            pending = 0
        if out:
            yield out
    yield deflater.flush(zlib.Z_FINISH)
