"""`flask --app api verify-credential FILE --jwks FILE`: check a certificate's signed file
offline against the issuer's published keys; `flask --app api rotate-signing-key`."""

from __future__ import annotations

import json
import sys

import click
from flask import Flask
from flask.cli import with_appcontext

from .services.training import credentials, keys
from .state import hirfa


def _read(stream, what: str) -> str:
    try:
        return stream.read()
    except (OSError, UnicodeDecodeError) as exc:
        raise click.ClickException(f"cannot read the {what}: {exc}") from exc


def _name(value) -> str:
    """A name as a credential gives it: a string, or a profile with a ``name``."""
    if isinstance(value, dict):
        value = value.get("name")
    return value if isinstance(value, str) else "?"


@click.command("verify-credential")
@click.argument("credential_file", type=click.File("r", encoding="utf-8"))
@click.option(
    "--jwks",
    "jwks_file",
    type=click.File("r", encoding="utf-8"),
    required=True,
    help="The issuer's public keys, as served at /.well-known/jwks.json.",
)
def verify_credential(credential_file, jwks_file) -> None:
    """Check a certificate's credential file (a .jwt, `-` for standard input) with the
    issuer's public keys alone, offline: prints VALID and what it certifies, or INVALID
    and why; exits 0 or 1. Revocation is not seen offline: the issuer's status list
    (/credentials/status) or the page /v/{code} says it."""
    token = _read(credential_file, "credential")
    try:
        jwks = json.loads(_read(jwks_file, "JWKS"))
    except json.JSONDecodeError as exc:
        raise click.ClickException(f"the JWKS file is not JSON: {exc}") from exc
    if not isinstance(jwks, dict) or not isinstance(jwks.get("keys"), list):
        raise click.ClickException('the JWKS file has no "keys" list')
    verdict = credentials.verify(token, jwks)
    if not verdict.valid:
        click.echo(f"INVALID: {verdict.reason}")
        if verdict.kid:
            click.echo(f"kid:     {verdict.kid}")
        sys.exit(1)
    vc = verdict.credential or {}
    subject = vc.get("credentialSubject") or {}
    issuer = vc.get("issuer") or {}
    click.echo(f"VALID: {verdict.reason}")
    click.echo(f"issuer:  {_name(issuer)} ({issuer.get('id', '?')})")
    click.echo(f"holder:  {_name(subject)}")
    click.echo(f"course:  {_name(subject.get('achievement'))}")
    click.echo(f"issued:  {vc.get('validFrom', '?')}")
    click.echo(f"kid:     {verdict.kid}")
    status = (vc.get("credentialStatus") or {}).get("id")
    if status:
        click.echo(f"revocation is not checked offline: see {status}")


@click.command("rotate-signing-key")
@with_appcontext
def rotate_signing_key() -> None:
    """Retire the key certificates are signed with and make a new one. The retired key
    stays in /.well-known/jwks.json, so the certificates it signed still verify."""
    db = hirfa().open_db()
    try:
        before = [k["kid"] for k in keys.jwks(db)["keys"]]
        kid = keys.rotate(db)
    finally:
        db.close()
    click.echo(f"new signing key: {kid}")
    click.echo(f"retired, still published: {len(before)} key(s)")


def init_app(app: Flask) -> None:
    app.cli.add_command(verify_credential)
    app.cli.add_command(rotate_signing_key)
