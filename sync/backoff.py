"""How long to wait before retrying something that failed: exponential backoff with
"equal jitter" (AWS Architecture Blog, "Exponential Backoff And Jitter"). Half the delay
is fixed, half random, so servers or messages cut off together do not all come back at
the same instant. Used by the replication worker and the push outbox."""

from __future__ import annotations

import random


def equal_jitter(
    retry: int, base_s: float, max_s: float, rng: random.Random | None = None
) -> float:
    """Delay before retry number ``retry`` (0 for the first): ``base_s`` doubling up to
    ``max_s``, then a random point in its upper half."""
    ceiling = min(max_s, base_s * 2 ** max(0, retry))
    return (rng or random).uniform(ceiling / 2, ceiling)
