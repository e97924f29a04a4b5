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
    firebase_credentials: str = ""  # path of a service-account JSON file
    firebase_project_id: str = ""
    max_request_bytes: int = 8 * 1024 * 1024
    # Sign-in throttling: per phone number and per client address.
    lockout_free_failures: int = 5
    lockout_base_seconds: int = 30
    lockout_max_seconds: int = 24 * 3600
    address_window_seconds: int = 15 * 60
    address_max_failures: int = 50
    # argon2id cost; OWASP's minimum is 19 MiB, 2 iterations.
    argon2_memory_kib: int = 19456
    argon2_time_cost: int = 2
    # CouchDB-protocol sync (/sync/<db>)
    sync_db_name: str = "hirfa"
    sync_revs_limit: int = 1000
    sync_max_bulk_docs: int = 2000
    sync_max_attachment_bytes: int = 10 * 1024 * 1024
    sync_max_doc_bytes: int = 1024 * 1024
    sync_longpoll_max_ms: int = 60_000
    cors_origins: str = "*"
    trust_proxy: bool = False
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
