"""Configuration from ``HIRFA_*`` environment variables, never from code edits."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any


class ConfigError(RuntimeError):
    """The configuration cannot run: the message says which variable to set."""


def _int(value: str) -> int:
    return int(value)


def _bool(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


@dataclass
class Settings:
    """Every setting, its environment variable is ``HIRFA_`` + the upper-case name."""

    env: str = "development"  # development | production | testing
    var_dir: str = "var"
    store_path: str = ""  # default: <var_dir>/hirfa.sqlite3
    media_dir: str = ""  # default: <var_dir>/media
    jwt_signing_key: str = ""  # development: generated once and kept in <var_dir>
    jwt_issuer: str = "hirfa"
    jwt_audience: str = "hirfa-api"
    access_token_seconds: int = 15 * 60
    # Phones stay offline for weeks: a refresh token lives for months.
    refresh_token_days: int = 180
    # A retry after a response lost on a 2G link gets the same answer in this window.
    refresh_grace_seconds: int = 120
    couchdb_url: str = ""
    # Replication with the hub (sync/replication/worker.py). The worker runs when
    # couchdb_url is set: "auto" starts it with the server except in testing, "on"
    # always, "off" never.
    replication_worker: str = "auto"
    replication_batch_size: int = 100
    replication_timeout_seconds: int = 60  # socket timeout of every call to the hub
    replication_backoff_min_seconds: int = 2  # first retry; doubles up to the max, jittered
    replication_backoff_max_seconds: int = 600
    replication_heartbeat_ms: int = 10_000  # longpoll heartbeat on the hub's _changes
    replication_local_types: str = ""  # comma-separated document types kept off the hub
    firebase_credentials: str = ""  # path of a service-account JSON file
    firebase_project_id: str = ""
    max_request_bytes: int = 8 * 1024 * 1024
    # Sign-in throttling (api/services/throttle.py, docs/security.md). A known device (one
    # that has signed in to the account) has its own count; unknown devices share one
    # per number and one per address. Free failures, then a delay doubling to a cap.
    lockout_free_failures: int = 5
    lockout_base_seconds: int = 30
    lockout_max_seconds: int = 5 * 60
    # Consecutive failures from unknown devices after which they are locked out of the
    # number until a coordinator lifts it (NIST SP 800-63B 5.2.2: at most 100).
    lockout_max_failures: int = 100
    # Consecutive failures after which a known device is forgotten (an unknown device again).
    device_max_failures: int = 10
    # A device stays known this long after its last successful sign-in.
    device_credential_days: int = 365
    address_free_failures: int = 20
    address_base_seconds: int = 10
    address_max_seconds: int = 5 * 60
    address_leak_seconds: int = 5 * 60  # one counted failure forgiven per this long
    # argon2id cost; OWASP's minimum is 19 MiB, 2 iterations.
    argon2_memory_kib: int = 19456
    argon2_time_cost: int = 2
    # CouchDB-protocol sync (/sync/<db>)
    sync_db_name: str = "hirfa"
    sync_revs_limit: int = 1000
    sync_max_bulk_docs: int = 2000
    sync_max_attachment_bytes: int = 10 * 1024 * 1024
    # Longer document ids are refused on every path (sync/store/json_values.py).
    sync_max_id_length: int = 200
    sync_max_doc_bytes: int = 1024 * 1024
    sync_longpoll_max_ms: int = 60_000
    # Compact sync (/sync/<db>/_sync): pages are cut by bytes of JSON, not by documents,
    # so one answer fits a 2G link's patience whatever the documents weigh.
    compact_sync_page_bytes: int = 256 * 1024
    compact_sync_max_page_bytes: int = 4 * 1024 * 1024
    compact_sync_request_ttl_seconds: int = 30 * 24 * 3600
    # gzip for sync answers when the client sends Accept-Encoding: gzip (sync/http/compression.py)
    gzip_min_bytes: int = 512
    gzip_level: int = 6
    # Photos (tus uploads and the media pipeline)
    upload_max_bytes: int = 25 * 1024 * 1024
    # A phone may stay offline for days in the middle of an upload; each chunk extends it.
    upload_expires_seconds: int = 7 * 24 * 3600
    media_max_pixels: int = 40_000_000
    # Trainers' voice clips (api/services/audio.py): what one clip may weigh and last.
    audio_max_bytes: int = 150_000
    audio_max_seconds: int = 120
    # Training (api/services/training/courses.py): the most one lesson's pictures and voice
    # clips may weigh, so a lesson downloads whole over a 2G link.
    lesson_budget_bytes: int = 400_000
    # Push notifications (api/services/push). fcm_endpoint: empty means Google's FCM; the
    # tests point it at a loopback fake (api/services/push/transport_fcm.py says how).
    fcm_endpoint: str = ""
    push_batch_size: int = 500  # FCM's limit for one send_each call
    push_max_attempts: int = 8
    push_backoff_seconds: int = 15  # first retry; doubles each time, capped below
    push_backoff_max_seconds: int = 3600
    # A phone can be offline for days: an order notification waits a week in FCM.
    push_idle_seconds: int = 5  # how long the dispatcher waits when the outbox is empty
    push_digest_seconds: int = 3600  # coordinators' "uploads waiting" digest, at most hourly
    push_dispatcher: bool = True  # `serve` runs the dispatcher in a thread
    # Where buyers reach this server (https://hirfa.example.ma): share pages put it in
    # og:url and og:image. Empty: taken from the request (fine without a proxy).
    public_url: str = ""
    # Views of the public pages (api/services/analytics): counted without cookies or stored
    # addresses, buffered in memory and written once every counts_flush_seconds.
    count_views: bool = True
    counts_flush_seconds: int = 5
    cors_origins: str = "*"
    # Behind reverse proxies: take the client address from X-Forwarded-For, trusting the
    # last proxy_hops entries (one per proxy). Off, the header is ignored: a client could
    # make it up and dodge the per-address sign-in cap.
    trust_proxy: bool = False
    proxy_hops: int = 1
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_env(cls, environ: os._Environ[str] | dict[str, str] | None = None) -> Settings:
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for f in fields(cls):
            if f.name == "extra":
                continue
            raw = environ.get(f"HIRFA_{f.name.upper()}")
            if raw is None:
                continue
            try:
                if f.type == "int":
                    values[f.name] = _int(raw)
                elif f.type == "bool":
                    values[f.name] = _bool(raw)
                else:
                    values[f.name] = raw
            except ValueError as exc:
                raise ConfigError(f"HIRFA_{f.name.upper()} must be a {f.type}: {raw!r}") from exc
        return cls(**values)

    def resolve(self) -> Settings:
        """Fill in derived paths and the signing key; refuse unsafe production settings."""
        var = Path(self.var_dir)
        if not self.store_path:
            self.store_path = str(var / "hirfa.sqlite3")
        if not self.media_dir:
            self.media_dir = str(var / "media")
        if not self.jwt_signing_key:
            if self.env == "production":
                raise ConfigError(
                    "HIRFA_JWT_SIGNING_KEY is not set: production refuses to start without "
                    "a signing key (at least 32 random bytes, e.g. `openssl rand -hex 32`)."
                )
            self.jwt_signing_key = _development_key(var)
        if self.env == "production" and len(self.jwt_signing_key) < 32:
            raise ConfigError("HIRFA_JWT_SIGNING_KEY must be at least 32 characters long.")
        if self.trust_proxy and self.proxy_hops < 1:
            raise ConfigError("HIRFA_PROXY_HOPS must be at least 1 with HIRFA_TRUST_PROXY on.")
        return self


def _development_key(var: Path) -> str:
    """A key generated once and kept, so restarting `make run` keeps everyone signed in."""
    var.mkdir(parents=True, exist_ok=True)
    path = var / "jwt_signing_key"
    if path.exists():
        return path.read_text().strip()
    key = secrets.token_hex(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key


def load_settings(overrides: dict[str, Any] | None = None) -> Settings:
    settings = Settings.from_env()
    for key, value in (overrides or {}).items():
        if not hasattr(settings, key):
            raise ConfigError(f"unknown setting {key!r}")
        setattr(settings, key, value)
    return settings.resolve()
