"""The names the coordinator's pages show for people and cooperatives, instead of ids."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlite_utils

from ..services import accounts
from . import i18n


def user_names(db: sqlite_utils.Database) -> Callable[[str], str]:
    """A user's display name (else her id), each user read once per page."""
    found: dict[str, str] = {}

    def name(user_id: str) -> str:
        if user_id not in found:
            user = accounts.get_user(db, user_id)
            found[user_id] = user.display_name if user else user_id
        return found[user_id]

    return name


def cooperative_name(coop: dict[str, Any] | None, lang: str) -> str:
    if coop is None:
        return ""
    return i18n.pick({"ar": coop.get("name_ar"), "fr": coop.get("name_fr")}, lang)[0]
