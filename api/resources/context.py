"""What a resource needs from the app, in one place."""

from __future__ import annotations

from flask import current_app

from ..app import Hirfa


def hirfa() -> Hirfa:
    return current_app.extensions["hirfa"]
