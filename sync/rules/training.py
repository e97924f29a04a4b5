"""Training's rules: who sees a course, who writes it, whose progress is whose, and that
results and certificates are the server's alone (docs/training.md).

Trainers are coordinators (for their cooperatives' courses) and admins (any course,
and partner organisations' courses, which belong to no cooperative). A coordinator
chooses which published courses her cooperative's artisans get, by adding her
cooperative to a course's ``offered_to``: the one field she may change in another
cooperative's course, and only for her own cooperatives.
"""

from __future__ import annotations

from typing import Any, Protocol

from schemas.training import EVERYONE, progress_id
from sync.rules.channels import members
from sync.store.errors import WriteForbidden

COURSES = "courses"  # every published course: what coordinators choose from
EVERYONE_CHANNEL = "training:all"  # courses offered to every cooperative
SERVERS_ONLY = (
    "results and certificates are issued by the server when a course's conditions are "
    "met; they cannot be written"
)
TRAINING_TYPES = ("course", "progress", "assessment_result", "certificate")


class Writer(Protocol):
    id: str
    role: str
    cooperative_ids: tuple[str, ...]


def channels(body: dict[str, Any]) -> set[str]:
    kind, coop = body.get("type"), body.get("cooperative")
    found: set[str] = set()
    if isinstance(coop, str) and coop:
        found.add(f"coop:{coop}")
    if kind != "course":
        owner = body.get("owner")
        if isinstance(owner, str) and owner:
            found.add(f"artisan:{owner}")
        return found
    if body.get("status") == "published":
        found.add(COURSES)
        offered = body.get("offered_to")
        for target in offered if isinstance(offered, list) else []:
            if target == EVERYONE:
                found.add(EVERYONE_CHANNEL)
            elif isinstance(target, str) and target:
                found.add(members(target))
    return found


def reader_channels(role: str) -> set[str]:
    """What a role reads of training besides its own and its cooperatives' channels."""
    if role == "artisan":
        return {EVERYONE_CHANNEL}
    if role == "coordinator":
        return {COURSES}
    return set()


def check(user: Writer, doc_id: str, old: dict | None, new: dict) -> None:
    kind = new.get("type")
    if kind in ("assessment_result", "certificate"):
        raise WriteForbidden(SERVERS_ONLY)
    if kind == "progress":
        _check_progress(user, doc_id, old, new)
    elif kind == "course":
        _check_course(user, old, new)


def check_deletion(old: dict) -> None:
    if old.get("type") in ("assessment_result", "certificate"):
        raise WriteForbidden(SERVERS_ONLY)
    if old.get("type") == "course":
        raise WriteForbidden('a course is kept for its certificates: set "status": "withdrawn"')


def _check_progress(user: Writer, doc_id: str, old: dict | None, new: dict) -> None:
    if user.role != "artisan" or new.get("owner") != user.id:
        raise WriteForbidden("progress is written by the artisan herself, from her phone")
    if new.get("cooperative") not in user.cooperative_ids:
        raise WriteForbidden("cooperative must be your own cooperative")
    course = new.get("course")
    if not isinstance(course, str) or doc_id != progress_id(course, user.id):
        raise WriteForbidden("a progress document's id is progress:<course code>:<your id>")
    if old is not None and old.get("course") != course:
        raise WriteForbidden("course cannot be changed once set")


def _check_course(user: Writer, old: dict | None, new: dict) -> None:
    if user.role != "coordinator":
        raise WriteForbidden(f"a {user.role} does not write courses")
    mine = set(user.cooperative_ids)
    coop = new.get("cooperative")
    if old is not None and old.get("cooperative") != coop:
        raise WriteForbidden("cooperative cannot be changed once set")
    if old is not None and old.get("author") != new.get("author"):
        raise WriteForbidden("author cannot be changed once set")
    if old is None and new.get("author") != user.id:
        raise WriteForbidden("author must be your own user id")
    before = set((old or {}).get("offered_to") or [])
    after = set(new.get("offered_to") or [])
    if (before ^ after) - mine:
        everyone = "; every cooperative (*) is an admin's" if EVERYONE in before ^ after else ""
        raise WriteForbidden(
            "you choose which courses your own cooperatives get: offered_to may change "
            f"only by your cooperatives{everyone}"
        )
    if coop in mine:
        return
    if old is None:
        raise WriteForbidden("cooperative must be one of your cooperatives")
    changed = {k for k in (*old, *new) if not k.startswith("_") and old.get(k) != new.get(k)} - {
        "offered_to",
        "updated_at",
    }
    if changed:
        raise WriteForbidden(
            f"this course is {coop or 'an admin'}'s: you may only offer it to your "
            f"cooperatives ({', '.join(sorted(changed))} is theirs)"
        )
    if old.get("status") != "published" and after - before:
        raise WriteForbidden("only a published course is offered")
