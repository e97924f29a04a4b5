"""Certificates as Open Badges 3.0 achievement credentials (W3C Verifiable Credentials),
signed as a compact JWS with Ed25519 (VC-JWT: the credential in the ``vc`` claim, as
Open Badges 3.0, section 8.2, "JSON Web Token Proof Format", describes).

Anyone can verify one with the JWKS alone (``verify``; ``flask verify-credential``),
offline: the signature says who issued it and that not one byte changed. Whether the
issuer revoked it since is the status list's business (``credentialStatus``), which
needs a connection.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import jwt
from jwt.algorithms import OKPAlgorithm

from .keys import SigningKey

CONTEXT = [
    "https://www.w3.org/ns/credentials/v2",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
]
ALGORITHM = "EdDSA"


@dataclass(frozen=True)
class Award:
    """What a certificate says."""

    credential_id: str  # urn:uuid:...
    code: str
    issuer_id: str
    issuer_name: str
    issuer_url: str | None
    holder_id: str
    holder_name: str
    course_url: str
    course_title: dict[str, str]
    course_summary: dict[str, str]
    criteria: str
    hours: int
    issued_at: datetime
    status_url: str
    verify_url: str


def _name(text: dict[str, str]) -> str:
    return text.get("fr") or text.get("ar") or text.get("en") or ""


def credential(award: Award) -> dict[str, Any]:
    """The OpenBadgeCredential (JSON-LD, Verifiable Credentials 2.0 data model)."""
    issued = award.issued_at.isoformat(timespec="seconds").replace("+00:00", "Z")
    issuer: dict[str, Any] = {"id": award.issuer_id, "type": ["Profile"], "name": award.issuer_name}
    if award.issuer_url:
        issuer["url"] = award.issuer_url
    return {
        "@context": CONTEXT,
        "id": award.credential_id,
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": issuer,
        "validFrom": issued,
        "name": _name(award.course_title),
        "credentialSubject": {
            "id": award.holder_id,
            "type": ["AchievementSubject"],
            "name": award.holder_name,
            "achievement": {
                "id": award.course_url,
                "type": ["Achievement"],
                "achievementType": "Certificate",
                "name": _name(award.course_title),
                "description": _name(award.course_summary) or _name(award.course_title),
                # Open Badges has no field for hours of training: the criteria say them.
                "criteria": {"narrative": f"{award.criteria} ({award.hours} h)"},
            },
        },
        "credentialStatus": {
            "id": f"{award.status_url}#{award.code}",
            "type": "1EdTechRevocationList",
        },
        "evidence": [{"id": award.verify_url, "type": ["Evidence"], "name": award.code}],
    }


def sign(award: Award, key: SigningKey) -> str:
    vc = credential(award)
    payload = {
        "iss": award.issuer_id,
        "jti": award.credential_id,
        "sub": award.holder_id,
        "nbf": int(award.issued_at.timestamp()),
        "iat": int(award.issued_at.timestamp()),
        "vc": vc,
    }
    return jwt.encode(
        payload, key.private_key, algorithm=ALGORITHM, headers={"kid": key.kid, "typ": "JWT"}
    )


@dataclass(frozen=True)
class Verdict:
    valid: bool
    reason: str
    credential: dict[str, Any] | None = None
    kid: str | None = None


def verify(token: str, jwks: dict[str, Any]) -> Verdict:
    """Whether ``token`` was signed by one of the keys of ``jwks`` and is unchanged."""
    token = token.strip()
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        return Verdict(False, f"not a JWS credential: {exc}")
    kid = header.get("kid")
    if header.get("alg") != ALGORITHM:
        return Verdict(False, f"signed with {header.get('alg')!r}, not {ALGORITHM}", kid=kid)
    found = [k for k in jwks.get("keys", []) if k.get("kid") == kid]
    if not found:
        return Verdict(
            False, f"signed with a key this issuer never published (kid {kid!r})", kid=kid
        )
    public_key = OKPAlgorithm.from_jwk(json.dumps(found[0]))
    try:
        claims = jwt.decode(
            token,
            public_key,  # type: ignore[arg-type]
            algorithms=[ALGORITHM],
            options={"require": ["iss", "jti", "vc"], "verify_aud": False},
        )
    except jwt.InvalidSignatureError:
        return Verdict(False, "the signature does not match: the credential was altered", kid=kid)
    except jwt.PyJWTError as exc:
        return Verdict(False, f"invalid: {exc}", kid=kid)
    vc = claims.get("vc")
    if not isinstance(vc, dict) or "OpenBadgeCredential" not in (vc.get("type") or []):
        return Verdict(False, "signed, but not an Open Badges credential", kid=kid)
    if claims.get("jti") != vc.get("id") or claims.get("iss") != (vc.get("issuer") or {}).get("id"):
        return Verdict(False, "its claims and its credential disagree", kid=kid)
    return Verdict(True, "signed by the issuer's key and unchanged", vc, kid)
