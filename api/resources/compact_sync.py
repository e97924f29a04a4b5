"""The compact sync protocol in the REST API's docs (and its REST-shaped twin).

The protocol lives at ``POST /sync/<db>/_sync`` beside the CouchDB endpoints
(sync/http/compact.py). Swagger 2.0 has one ``basePath`` (``/api/v1``), so a path outside
it cannot be described in openapi.yaml; this resource serves the same protocol, through
the same code, at ``/api/v1/sync/<db>/_sync`` so that it is described and tested with
the rest of the API. The two differ only in their error shape.
"""

from __future__ import annotations

from flask_restx import Resource

from schemas.compact_sync import SyncRequestSchema, SyncResponseSchema
from sync.http import compact as batch_http
from sync.http import compression
from sync.http.couch_json import json_response
from sync.http.couch_request import SyncContext
from sync.rules.access import user_channels

from ..errors import NotFound
from ..rest import model, namespace
from ..security import current_user, login_required
from ..state import hirfa

ns = namespace(
    "sync",
    "The compact sync protocol: push and pull in one gzip round trip, for 2G/EDGE phones.",
)

DESCRIPTION = """\
One request carries the device's new revisions (each with `_revisions`, its ancestry, \
as CouchDB's `_bulk_docs` with `new_edits: false`) and its cursor `since`; the answer \
carries one outcome per pushed revision (`ok`, `conflict`: stored as a competing branch, \
`forbidden`: refused by the access rules, `invalid`), the winning revisions changed since \
the cursor in the caller's channels (with `_conflicts`; deletions as `_deleted`, documents \
that left the caller's channels as `_removed`), the next `cursor` and `more` when another \
page waits. Pages are cut at `max_bytes` of JSON, not at a number of documents. What this \
`device` pushed is not sent back to it. A retry with the same `request_id` and body gets \
the first outcome again and writes nothing twice. Bodies may be sent with \
`Content-Encoding: gzip`; answers are gzip when the client sends `Accept-Encoding: gzip`. \
The same protocol is served at `/sync/{db}/_sync` with CouchDB's error shape; a new \
device loads `GET /sync/{db}/_snapshot` (NDJSON, gzip, resumable with `after`) first."""


@ns.route("/<string:db>/_sync")
@ns.doc(params={"db": {"description": "The sync database's name", "example": "hirfa"}})
class CompactSync(Resource):
    @ns.doc(security="bearer", description=DESCRIPTION)
    @ns.expect(model(SyncRequestSchema), validate=False)
    @ns.response(200, "Outcomes, changes, the next cursor", model(SyncResponseSchema))
    @ns.response(409, "This `request_id` came before with another body")
    @login_required()
    def post(self, db: str):
        """Push and pull in one round trip"""
        app = hirfa()
        if db != app.settings.sync_db_name:
            raise NotFound(f"There is no sync database {db!r}.")
        user = current_user()
        ctx = SyncContext(user, app.store(), user_channels(user))
        answer = batch_http.run(ctx, batch_http.parse_request())
        return compression.gzip_response(json_response(answer))
