"""What a resource needs from the app, in one place."""

from __future__ import annotations

from ..state import hirfa

__all__ = ["hirfa"]
