"""Sending through FCM with firebase-admin (``messaging.send_each``, FCM HTTP v1)."""

from __future__ import annotations

import time

import requests.adapters
from firebase_admin import exceptions, messaging
from urllib3.util.retry import Retry

from . import PushMessage, SendResult

MAX_BATCH = 500  # send_each refuses more (FCM's limit for one call)

# FCM says the token will never work again: the app was uninstalled or the token was
# rotated (UNREGISTERED, 404) or belongs to another Firebase project (SENDER_ID_MISMATCH).
DEAD_TOKEN = (messaging.UnregisteredError, messaging.SenderIdMismatchError)
# INVALID_ARGUMENT (400) is a malformed token only when FCM says so: its message is "The
# registration token is not a valid FCM registration token", or a google.rpc.BadRequest
# detail names the field `message.token`. Otherwise the message itself is refused (too
# big, a bad data key or TTL): the same message would be refused again, so it fails, and
# the device is kept. https://firebase.google.com/docs/cloud-messaging/manage-tokens and
# https://firebase.google.com/docs/reference/fcm/rest/v1/ErrorCode ("INVALID_ARGUMENT").
BAD_REQUEST = "type.googleapis.com/google.rpc.BadRequest"


def _names_token(exc: exceptions.FirebaseError) -> bool:
    if "registration token" in str(exc).lower():
        return True
    http = getattr(exc, "http_response", None)
    try:
        details = http.json()["error"].get("details") or [] if http is not None else []
    except (ValueError, KeyError, TypeError, AttributeError):
        return False
    return any(
        violation.get("field") == "message.token"
        for detail in details
        if isinstance(detail, dict) and detail.get("@type") == BAD_REQUEST
        for violation in detail.get("fieldViolations") or []
        if isinstance(violation, dict)
    )


def configure_messaging(firebase_app, endpoint: str = "") -> object:
    """firebase-admin's messaging service for ``firebase_app``, set up for the dispatcher.

    This is the only place that reaches into firebase-admin's internals (7.x), for two
    reasons:

    1. ``endpoint``: firebase-admin has no supported setting or emulator variable for
       FCM (only Auth, Database, Functions have ``*_EMULATOR_HOST``). The URL is the
       private ``_MessagingService.FCM_URL``, formatted once into ``_fcm_url`` when the
       app's service is created; we set that per app (not the class constant, which
       every app in the process shares), before the first send. Tests point it at a
       loopback fake FCM (tests/support/fake_fcm.py); production leaves ``endpoint`` empty.
    2. Retries: its HTTP session retries 500/503 up to 4 times with urllib3's backoff,
       sleeping inside ``send_each``; that blocks the dispatcher for seconds per batch
       and is forgotten on a restart. The outbox retries instead (persisted, with
       backoff, Retry-After honoured), so here only a failed connect is retried.
    """
    service = messaging._get_messaging_service(firebase_app)
    if endpoint:
        service._fcm_url = f"{endpoint.rstrip('/')}/v1/projects/{service._project_id}/messages:send"
    prefix = service._fcm_url.split("/v1/")[0]
    # send_each uses one thread per message: keep up to 100 connections for them.
    adapter = requests.adapters.HTTPAdapter(
        pool_connections=10,
        pool_maxsize=100,
        max_retries=Retry(total=1, connect=1, read=0, status=0, other=0),
    )
    service._client.session.mount(prefix, adapter)
    return service


def to_fcm(message: PushMessage, now: float) -> messaging.Message:
    fcm = messaging.Message(
        data=message.data,
        notification=messaging.Notification(title=message.title, body=message.body),
        android=messaging.AndroidConfig(
            collapse_key=message.collapse_key,
            priority=message.priority,
            ttl=message.ttl_seconds,
            # The same tag replaces the shown notification: one line per order.
            notification=messaging.AndroidNotification(tag=message.collapse_key),
        ),
        apns=messaging.APNSConfig(
            headers={
                "apns-priority": "10" if message.priority == "high" else "5",
                "apns-expiration": str(int(now + message.ttl_seconds)),
                **({"apns-collapse-id": message.collapse_key[:64]} if message.collapse_key else {}),
            }
        ),
    )
    # Message(token=...) warns that `token` is deprecated in favour of `fid` in 7.x, yet
    # the Android SDK hands out registration tokens and FCM v1 takes them as `token`.
    # Setting the attribute sends the same JSON without a process-wide warning filter.
    fcm.token = message.token
    return fcm


def _result(response: messaging.SendResponse) -> SendResult:
    if response.success:
        return SendResult("sent", response.message_id)
    exc = response.exception
    error = f"{type(exc).__name__}: {getattr(exc, 'code', '')} {exc}"[:500]
    if isinstance(exc, DEAD_TOKEN):
        return SendResult("dropped", error=error)
    if isinstance(exc, exceptions.InvalidArgumentError):
        return SendResult("dropped" if _names_token(exc) else "failed", error=error)
    retry_after = None
    http = getattr(exc, "http_response", None)
    if http is not None and http.headers.get("Retry-After", "").isdigit():
        retry_after = float(http.headers["Retry-After"])
    return SendResult("retry", error=error, retry_after=retry_after)


class FCMTransport:
    name = "fcm"

    def __init__(self, firebase_app, endpoint: str = "", clock=time.time):
        self.app = firebase_app
        self.clock = clock
        self.service = configure_messaging(firebase_app, endpoint)

    def close(self) -> None:
        """Close the kept-alive connections. firebase-admin's ``delete_app`` closes only
        the messaging service's async client (7.7), not the requests session we use."""
        self.service._client.close()

    def send_each(self, messages: list[PushMessage]) -> list[SendResult]:
        results: list[SendResult] = []
        for start in range(0, len(messages), MAX_BATCH):
            chunk = messages[start : start + MAX_BATCH]
            now = self.clock()
            try:
                batch = messaging.send_each([to_fcm(m, now) for m in chunk], app=self.app)
            except exceptions.FirebaseError as exc:  # the whole call failed: retry all
                results += [SendResult("retry", error=f"{type(exc).__name__}: {exc}")] * len(chunk)
                continue
            results += [_result(r) for r in batch.responses]
        return results
