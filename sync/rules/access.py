"""Who sees and who may write which document: channels and ``validate`` per type.

As in Couchbase Sync Gateway, a pure function maps each document to its channels and
another maps each user to the channels they read. ``validate(user, old, new)`` is
CouchDB's ``validate_doc_update`` in Python: it raises WriteForbidden with a reason.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from marshmallow import ValidationError

from schemas.documents import AUTHOR_STATUSES, DOCUMENT_SCHEMAS, STOCK_FIELDS
from schemas.fast_load import compile_load
from sync.rules import bulk_orders, insights, ledger, training, visits
from sync.rules.channels import members
from sync.rules.orders import check_write as check_order_write
from sync.store.errors import WriteForbidden
from sync.store.json_values import NOT_A_STRING, InvalidValue

PUBLIC = "public"
REVIEW_PREFIX = "review:"
# The public directory: cooperative:<cooperative id>, artisan:<user id>.
DIRECTORY_PREFIXES = {"cooperative": "cooperative:", "artisan": "artisan:"}
DIRECTORY_TYPES = tuple(DIRECTORY_PREFIXES)  # a tuple: a forged list-valued type is no key
# What an artisan may change in her own public profile: her words and her picture.
ARTISAN_OWN_FIELDS = frozenset({"story", "photo", "updated_at"})
# The fields channels_for reads: whoever holds them decides who sees the document.
ROUTING_FIELDS = frozenset({"type", "owner", "cooperative", "artisan", "buyer", "status"})
# What an approved listing may change and stay approved: keeping stock is not content.
_UNREVIEWED_OK = frozenset({*STOCK_FIELDS, "status", "updated_at"})
BACK_TO_REVIEW = "editing an approved listing sends it back for review: set status to submitted"

# Built once: constructing a marshmallow schema costs more than validating with it.
_SCHEMAS = {kind: schema_cls() for kind, schema_cls in DOCUMENT_SCHEMAS.items()}
# The same loads, compiled for speed; marshmallow's own when they doubt (schemas/fast_load.py).
_FAST_LOADS = {kind: compile_load(schema) for kind, schema in _SCHEMAS.items()}


class Reader(Protocol):
    id: str
    role: str
    cooperative_ids: tuple[str, ...]


# artisan id -> her cooperative id (None if no such artisan)
Directory = Callable[[str], str | None]


def channels_for(doc_id: str, body: dict[str, Any] | None) -> set[str]:
    """The channels of a document's winning revision (none for a deletion's body)."""
    if not body:
        return set()
    kind = body.get("type")
    channels: set[str] = set()
    if kind in DIRECTORY_TYPES or kind == "material":
        return _cooperative_wide(body)
    if kind == "material_movement":
        return ledger.movement_channels(body)
    if kind in training.TRAINING_TYPES:
        return training.channels(body)
    if kind in visits.VISIT_TYPES:
        return visits.channels(body)
    if kind == insights.SUMMARY_TYPE:
        return insights.channels(body)
    if kind in bulk_orders.BULK_TYPES:
        return bulk_orders.channels(body)
    artisan = body.get("owner") if kind != "review" and kind != "order" else body.get("artisan")
    if isinstance(artisan, str) and artisan:
        channels.add(f"artisan:{artisan}")
    coop = body.get("cooperative")
    if isinstance(coop, str) and coop:
        channels.add(f"coop:{coop}")
    # A part of a bulk order: its buyer follows the bulk order, not the parts.
    if kind == "order" and isinstance(body.get("buyer"), str) and "bulk_order" not in body:
        channels.add(f"buyer:{body['buyer']}")
    if kind == "product" and body.get("status") == "approved":
        channels.add(PUBLIC)
    return channels


def _cooperative_wide(body: dict[str, Any]) -> set[str]:
    """What the whole cooperative reads: in its coordinators' channel, and in members:<id>
    so its artisans' phones have it offline (her cooperative and her sisters' profiles,
    where she edits her own story and photo; the materials she records movements of).
    Not coop:<id> for artisans: that would hand her every artisan's listings. The
    directory is public too."""
    channels = {PUBLIC} if body.get("type") in DIRECTORY_TYPES else set()
    coop = body.get("cooperative")
    if isinstance(coop, str) and coop:
        channels.add(f"coop:{coop}")
        channels.add(members(coop))
    return channels


def user_channels(user: Reader) -> set[str] | None:
    """The channels a user reads; None means every document (admins)."""
    if user.role == "admin":
        return None
    if user.role == "artisan":
        own = {members(c) for c in user.cooperative_ids}
        return {f"artisan:{user.id}", *own, *training.reader_channels("artisan")}
    if user.role == "coordinator":
        coops = {f"coop:{c}" for c in user.cooperative_ids}
        return coops | training.reader_channels("coordinator")
    if user.role == "buyer":
        return {f"buyer:{user.id}"}
    return set()


def _immutable(old: dict | None, new: dict, *names: str) -> None:
    if old is None:
        return
    for name in names:
        if old.get(name) != new.get(name):
            raise WriteForbidden(f"{name} cannot be changed once set")


def content_changed(old: dict[str, Any], new: dict[str, Any]) -> bool:
    """Whether ``new`` changes a product's reviewed content (anything but its stock)."""
    names = {k for k in (*old, *new) if not k.startswith("_")} - _UNREVIEWED_OK
    return any(old.get(name) != new.get(name) for name in names)


def _may_author(user: Reader, body: dict, directory: Directory) -> None:
    """Artisan-owned types: the artisan herself, or a coordinator of her cooperative."""
    owner, coop = body.get("owner"), body.get("cooperative")
    if user.role == "artisan":
        if owner != user.id:
            raise WriteForbidden("owner must be your own user id")
        if coop not in user.cooperative_ids:
            raise WriteForbidden("cooperative must be your own cooperative")
        return
    if user.role == "coordinator":
        if coop not in user.cooperative_ids:
            raise WriteForbidden("you can only write documents of your own cooperatives")
        if directory(owner) != coop:
            raise WriteForbidden("owner must be an artisan of this cooperative")
        return
    raise WriteForbidden(f"a {user.role} cannot write this document")


def validate(
    user: Reader,
    old: dict[str, Any] | None,
    new: dict[str, Any],
    directory: Directory,
    doc_id: str = "",
) -> None:
    """Raise WriteForbidden unless ``user`` may turn ``old`` (None: new doc) into ``new``."""
    if not new.get("_deleted"):
        _check_directory_id(doc_id, new)
        if new.get("type") == "material_movement" and doc_id:
            ledger.check_reversal_id(doc_id, new)
        visits.check_id(doc_id, new)
        bulk_orders.check_id(doc_id, new)
    if user.role == "admin":
        if not new.get("_deleted"):
            _check_schema(new)
        return
    if new.get("_deleted"):
        fields = {k for k in new if not k.startswith("_")}
        if old is None:
            # A bare tombstone of a document we never had reaches no one. One with fields
            # would be routed by them (channels come from the body): check it as a write.
            if fields:
                _check_writer(user, None, new, directory, doc_id)
            return
        if old.get("type") == "order":
            raise WriteForbidden("an order is kept: cancel or decline it instead")
        if old.get("type") in DIRECTORY_TYPES:
            raise WriteForbidden("a directory profile is kept: only an admin removes it")
        if old.get("type") == "material_movement":
            raise WriteForbidden(ledger.NEVER_EDITED)
        if old.get("type") == "material":
            raise WriteForbidden('a material is kept for its history: set "archived": true')
        training.check_deletion(old)
        visits.check_deletion(old)
        insights.check_deletion(old)
        bulk_orders.check_deletion(old)
        _check_writer(user, old, old, directory, doc_id)
        # A tombstone keeps the document's routing: it may not move it to other channels.
        for name in ROUTING_FIELDS & fields:
            if new[name] != old.get(name):
                raise WriteForbidden(f"{name} cannot be changed once set")
        return
    _check_schema(new)
    if old is not None:
        _immutable(old, new, "type")
        _check_writer(user, old, old, directory, doc_id)  # must also have been allowed
    _check_writer(user, old, new, directory, doc_id)


def _check_schema(body: dict[str, Any]) -> None:
    kind = body.get("type")
    if kind is not None and not isinstance(kind, str):
        raise InvalidValue(NOT_A_STRING, "type", 'type is a string, such as "product"')
    schema = _SCHEMAS.get(kind)  # type: ignore[arg-type]
    if schema is None:
        known = ", ".join(sorted(DOCUMENT_SCHEMAS))
        raise WriteForbidden(f"unknown document type {body.get('type')!r}; expected one of {known}")
    payload = {k: v for k, v in body.items() if not k.startswith("_")}
    if _FAST_LOADS[kind](payload) is not None:  # type: ignore[index]
        return
    try:
        schema.load(payload)
    except ValidationError as exc:
        raise WriteForbidden(f"invalid {body['type']}: {exc.messages}") from exc


def _check_directory_id(doc_id: str, body: dict[str, Any]) -> None:
    """cooperative:<id> holds that cooperative's profile, artisan:<id> that artisan's."""
    kind = body.get("type")
    for prefix_kind, prefix in DIRECTORY_PREFIXES.items():
        if doc_id.startswith(prefix) and kind != prefix_kind:
            raise WriteForbidden(f"ids starting with {prefix!r} are for {prefix_kind} documents")
    if kind in DIRECTORY_TYPES and doc_id and not doc_id.startswith(DIRECTORY_PREFIXES[kind]):
        raise WriteForbidden(f"a {kind} document's id is {DIRECTORY_PREFIXES[kind]}<id>")
    if (
        kind == "cooperative"
        and doc_id
        and body.get("cooperative") != doc_id.removeprefix(DIRECTORY_PREFIXES["cooperative"])
    ):
        raise WriteForbidden("cooperative must be the id the document is stored under")


def _check_directory(
    user: Reader, old: dict | None, new: dict, directory: Directory, doc_id: str
) -> None:
    """Coordinators write their cooperatives' directory; an artisan her own story and
    photo. Only admins (who pass no further check) move a profile to another cooperative."""
    kind, coop = new.get("type"), new.get("cooperative")
    _immutable(old, new, "cooperative", "created_at")
    if user.role == "coordinator":
        if coop not in user.cooperative_ids:
            raise WriteForbidden("you can only write documents of your own cooperatives")
        if kind == "artisan":
            artisan_id = doc_id.removeprefix(DIRECTORY_PREFIXES["artisan"])
            if directory(artisan_id) != coop:
                raise WriteForbidden("artisan must be an artisan of this cooperative")
        return
    if user.role == "artisan" and kind == "artisan":
        if doc_id != f"{DIRECTORY_PREFIXES['artisan']}{user.id}":
            raise WriteForbidden("you can only edit your own profile")
        if old is None:
            raise WriteForbidden("your profile is created by your cooperative")
        names = {k for k in (*old, *new) if not k.startswith("_")} - ARTISAN_OWN_FIELDS
        changed = sorted(n for n in names if old.get(n) != new.get(n))
        if changed:
            raise WriteForbidden(
                f"you can change your story and photo; {', '.join(changed)} is your cooperative's"
            )
        return
    raise WriteForbidden(f"a {user.role} cannot write this {kind} document")


def _check_writer(
    user: Reader, old: dict | None, new: dict, directory: Directory, doc_id: str = ""
) -> None:
    kind = new.get("type")
    if kind == insights.SUMMARY_TYPE or doc_id.startswith(insights.SUMMARY_PREFIX):
        insights.check(doc_id, old, new)
    if kind in DIRECTORY_TYPES:
        _check_directory(user, old, new, directory, doc_id)
        return
    if kind in training.TRAINING_TYPES:
        training.check(user, doc_id, old, new)
        return
    if kind in visits.VISIT_TYPES:
        visits.check(user, doc_id, old, new)
        return
    if kind in bulk_orders.BULK_TYPES:
        bulk_orders.check(user, doc_id, old, new, directory)
        return
    if kind == "order" and old is None and "bulk_order" in new:
        bulk_orders.check_new_part(user, doc_id, new, directory)
        return
    if kind == "material":
        ledger.check_material(user, doc_id, old, new)
        return
    if kind == "material_movement":
        ledger.check_movement(user, doc_id, old, new, directory)
        return
    if kind in ("product", "photo"):
        _immutable(old, new, "owner", "cooperative", "created_at")
        _may_author(user, new, directory)
        if kind == "product":
            _check_product(user, old, new)
        if kind == "photo":
            _immutable(old, new, "sha256")
            unchanged = old is not None and old.get("status") == new.get("status")
            if not unchanged and new.get("status") != "pending":
                raise WriteForbidden(
                    "a photo becomes ready when the server has processed its bytes"
                )
        return
    if kind == "review":
        _immutable(old, new, "product_id", "artisan", "cooperative")
        if user.role != "coordinator" or new.get("cooperative") not in user.cooperative_ids:
            raise WriteForbidden(
                "only a coordinator of the product's cooperative writes its review"
            )
        if directory(new.get("artisan")) != new.get("cooperative"):
            raise WriteForbidden("artisan must be an artisan of this cooperative")
        return
    if kind == "order":
        # The state machine, the same for REST and for moves a phone made offline.
        check_order_write(user, old, new)
        return
    raise WriteForbidden(f"unknown document type {kind!r}")


def _check_product(user: Reader, old: dict | None, new: dict) -> None:
    status = new.get("status")
    unchanged = old is not None and old.get("status") == status
    if not unchanged and status not in AUTHOR_STATUSES:
        raise WriteForbidden(
            f"status {status!r} is set by the cooperative's review, not by the listing"
        )
    # The server cannot rewrite a phone's revision, so it refuses it: the phone resends it
    # as submitted, and the listing leaves the catalogue until a coordinator approves it.
    if old is not None and status == "approved" and content_changed(old, new):
        raise WriteForbidden(BACK_TO_REVIEW)
    # Who listed it is the writer's own id (a coordinator listing for an artisan: hers),
    # as products.create sets it over REST; then it stays.
    if old is None:
        if new.get("listed_by") not in (None, user.id):
            raise WriteForbidden("listed_by must be your own user id")
    else:
        _immutable(old, new, "listed_by")


def make_check(user: Reader, directory: Directory, *, reviews: bool = False):
    """The store's ``check`` callback for this user's writes. Review documents are only
    written by the review workflow (``reviews=True``, ``decide`` in
    api/services/reviews.py): a client writing one could invent a decision or a history
    the product never had."""

    def check(doc_id: str, old: dict | None, new: dict) -> None:
        kind = new.get("type") or (old or {}).get("type")
        if kind is None and doc_id.startswith(REVIEW_PREFIX):
            kind = "review"  # a bare tombstone says nothing of itself: its id does
        # review:<product> is where the review workflow writes; nothing else may sit there.
        if doc_id.startswith(REVIEW_PREFIX) and kind not in ("review", None):
            raise WriteForbidden(f"ids starting with {REVIEW_PREFIX!r} are for reviews")
        is_review = kind == "review" or "review" in (new.get("type"), (old or {}).get("type"))
        if is_review and not reviews and user.role != "admin":
            raise WriteForbidden(
                "reviews are written by deciding: POST /api/v1/reviews/{product_id}"
            )
        validate(user, old, new, directory, doc_id)

    return check
