"""Push notifications: the message a transport sends, and the transports' interface.

``dispatcher`` drains the outbox through a transport: ``transport_fcm`` (firebase-admin)
when credentials are configured, ``transport_console`` (a log line) otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class PushMessage:
    """One notification to one device token."""

    token: str
    title: str
    body: str
    data: dict[str, str] = field(default_factory=dict)
    collapse_key: str | None = None  # a newer message with the same key replaces it
    priority: str = "normal"  # "high" wakes a dozing phone (new orders only)
    ttl_seconds: int = 0  # how long FCM keeps it for a phone that is offline


@dataclass(frozen=True)
class SendResult:
    """What the transport says of one message."""

    state: str  # sent | retry | dropped (the token is dead) | failed (this message, for good)
    message_name: str | None = None
    error: str | None = None
    retry_after: float | None = None


class Transport(Protocol):
    name: str

    def send_each(self, messages: list[PushMessage]) -> list[SendResult]:
        """Send each message; one result per message, in order."""
        ...
