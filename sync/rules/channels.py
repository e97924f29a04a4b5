"""Channel names shared by the rules of several document types (sync/rules/access.py
maps documents and users to them)."""

from __future__ import annotations

# members:<cooperative id>: what every member of a cooperative reads (its directory, its
# materials, the courses offered to it), besides what is hers or, for coordinators, the
# cooperative's own channel coop:<id>.
MEMBERS_PREFIX = "members:"


def members(cooperative: str) -> str:
    return f"{MEMBERS_PREFIX}{cooperative}"
