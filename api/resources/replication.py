"""Replication with the CouchDB hub: the worker's state for admins, and the conflicts no
rule resolved, for the coordinators of the cooperative they belong to."""

from __future__ import annotations

from flask_restx import Resource

from schemas.replication import ReplicationConflictSchema, ReplicationStatusSchema
from sync.replication.worker import read_status
from sync.rules.resolution import open_conflicts

from ..rest import dump, model, namespace
from ..security import current_user, login_required
from ..state import hirfa
from ..workers import local_types

ns = namespace("replication", "Reconciliation with the CouchDB replica (the hub).")


@ns.route("")
class ReplicationStatus(Resource):
    @ns.doc(
        security="bearer",
        description=(
            "The replication worker's state: `idle` (caught up, waiting for changes), "
            "`replicating`, `backing_off` (the hub is unreachable: `last_error`, `failures` "
            "and `next_retry_at` say why and until when), `stopped`, or `never_run`. "
            "`pending_push` counts local changes the hub has not had yet, counted now; it "
            "grows while the hub is away and drops to 0 once the worker catches up. "
            "`doc_write_failures` and `write_failures` list documents the hub or this store "
            "refused for a reason retrying will not cure (forbidden, too large): replication "
            "went on past them, as CouchDB's does; other refusals are retried."
        ),
    )
    @ns.response(200, "The state", model(ReplicationStatusSchema))
    @ns.response(403, "Not an admin")
    @login_required("admin")
    def get(self):
        """Replication status"""
        app = hirfa()
        settings = app.settings
        worker = app.replication_worker
        if not settings.couchdb_url:
            return dump(
                ReplicationStatusSchema,
                {"configured": False, "remote": None, "state": "off", "running": False},
            )
        status = read_status(app.store(), settings.couchdb_url, local_types(settings))
        status.update(configured=True, running=bool(worker and worker.running))
        return dump(ReplicationStatusSchema, status)


@ns.route("/conflicts")
class ReplicationConflicts(Resource):
    @ns.doc(
        security="bearer",
        description=(
            "Documents whose conflicting revisions no rule could merge (e.g. an order "
            "shipped on one server and cancelled on another). Both revisions are kept; a "
            "coordinator decides, by editing the document and deleting the branch she "
            "rejects. Coordinators see their cooperatives' conflicts, admins all."
        ),
    )
    @ns.response(200, "The open conflicts", [model(ReplicationConflictSchema)])
    @ns.response(403, "Not a coordinator or admin")
    @login_required("coordinator", "admin")
    def get(self):
        """Conflicts left for coordinators"""
        user = current_user()
        coops = None if user.role == "admin" else user.cooperative_ids
        return dump(ReplicationConflictSchema, open_conflicts(hirfa().db(), coops), many=True)
