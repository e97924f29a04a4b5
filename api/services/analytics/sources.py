"""Where a view came from: a tag in the link, or else the referrer's host.

- ``?via=whatsapp|facebook|link|qr``, the tags Hirfa's share links carry; any other
  value is ``other``;
- else ``utm_source``, mapped to the same list when it names one of them, else ``other``;
- else the referrer: this server's own host is ``internal``; Facebook's and WhatsApp's
  hosts are ``facebook`` and ``whatsapp``; any other host is ``ref:<host>`` (lower-case,
  the host only, at most 60 characters); a referrer without a usable host, or naming an
  address rather than a name, is ``other``;
- nothing at all: ``direct``.

Every value is bounded before it is read: whatever a client sends, a source is one of a
few words or a short host name.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from urllib.parse import urlsplit

TAGS = ("whatsapp", "facebook", "link", "qr")
OTHER, DIRECT, INTERNAL = "other", "direct", "internal"
SOURCE_MAX = 60
TAG_MAX = 64
REFERRER_MAX = 2048
_ALIASES = {"wa": "whatsapp", "fb": "facebook", "qrcode": "qr", "qr-code": "qr", "qr_code": "qr"}
_PLATFORMS = {
    "facebook": ("facebook.com", "fb.com", "fb.me", "messenger.com"),
    "whatsapp": ("whatsapp.com", "whatsapp.net", "wa.me"),
}
_HOST = re.compile(r"[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?")


def tag(value: str | None) -> str | None:
    """One of TAGS, ``other`` for any other non-empty value, None when there is none."""
    if value is None:
        return None
    word = value[:TAG_MAX].strip().lower()
    if not word:
        return None
    word = _ALIASES.get(word, word)
    return word if word in TAGS else OTHER


def _under(host: str, domain: str) -> bool:
    return host == domain or host.endswith("." + domain)


def from_referrer(referrer: str | None, own_hosts: Iterable[str] = ()) -> str:
    if not referrer or not referrer.strip():
        return DIRECT
    try:
        host = urlsplit(referrer[:REFERRER_MAX].strip()).hostname
    except ValueError:  # an unbalanced IPv6 bracket, say
        return OTHER
    host = (host or "").rstrip(".").lower()
    if not _HOST.fullmatch(host):
        return OTHER
    try:
        ipaddress.ip_address(host)
        return OTHER  # an address, not a site's name: not worth keeping
    except ValueError:
        pass
    if host in {h.lower() for h in own_hosts if h}:
        return INTERNAL
    for platform, domains in _PLATFORMS.items():
        if any(_under(host, d) for d in domains):
            return platform
    host = host.removeprefix("www.")
    return ("ref:" + host)[:SOURCE_MAX]


def source_of(
    via: str | None,
    utm_source: str | None,
    referrer: str | None,
    own_hosts: Iterable[str] = (),
) -> str:
    return tag(via) or tag(utm_source) or from_referrer(referrer, own_hosts)
