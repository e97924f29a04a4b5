"""PINs and passwords, stored only as argon2id hashes (a slow key-derivation function)."""

from __future__ import annotations

import re

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

PIN_PATTERN = re.compile(r"^[0-9]{4,8}$")
PASSWORD_MIN_LENGTH = 8


class SecretHasher:
    def __init__(self, memory_kib: int, time_cost: int):
        self._hasher = PasswordHasher(memory_cost=memory_kib, time_cost=time_cost, parallelism=1)
        # Verified when the phone number is unknown, so a wrong number costs the same
        # time as a wrong PIN and does not reveal who has an account.
        self._dummy = self._hasher.hash("0000-not-a-real-secret")

    def hash(self, secret: str) -> str:
        return self._hasher.hash(secret)

    def verify(self, stored_hash: str | None, secret: str) -> bool:
        """Runs argon2 even without a stored hash (an unknown number, an account with
        no secret), against the dummy, so every sign-in costs the same time."""
        try:
            return self._hasher.verify(stored_hash or self._dummy, secret) and bool(stored_hash)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, stored_hash: str) -> bool:
        return self._hasher.check_needs_rehash(stored_hash)
