"""The transport when no Firebase credentials are configured: each message is a log
line, so `make run` works on a laptop with no Google account."""

from __future__ import annotations

import itertools
import logging

from . import PushMessage, SendResult

log = logging.getLogger("hirfa.push")


class ConsoleTransport:
    name = "console"

    def __init__(self) -> None:
        self._ids = itertools.count(1)

    def send_each(self, messages: list[PushMessage]) -> list[SendResult]:
        results = []
        for message in messages:
            log.info(
                "push (console) to %s…: %s | %s | %s",
                message.token[:12],
                message.title,
                message.body,
                message.data,
            )
            results.append(SendResult("sent", f"console/{next(self._ids)}"))
        return results
