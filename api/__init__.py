"""Hirfa's Flask application. ``flask --app api`` finds ``create_app`` here."""

from __future__ import annotations

from typing import Any


def create_app(config: dict[str, Any] | None = None):
    """Build the app; ``config`` overrides settings read from ``HIRFA_*`` variables."""
    from .app import build_app  # imported lazily so schemas can import api.services

    return build_app(config)
