"""Hirfa's Flask application. ``flask --app api`` finds ``create_app`` here."""

from __future__ import annotations

from typing import Any

from flask import Flask

from .app import build_app


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the app; ``config`` overrides settings read from ``HIRFA_*`` variables."""
    return build_app(config)
