"""Password hashing and verification (argon2id): admin passwords and the ingest password."""

from __future__ import annotations

from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from photoslot.offload import off_loop

_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    """Return an argon2id hash of ``password``."""
    return _hasher.hash(password)


@cache
def _dummy_hash() -> str:
    # Verified against when there is no real hash (an unknown username), so that case costs the
    # same argon2 work as a wrong password. Made on first use, not at import.
    return _hasher.hash("photoslot-dummy-password")


def verify_password(password_hash: str | None, password: str) -> bool:
    """Check ``password`` against ``password_hash`` in constant time; None hashes never match."""
    try:
        valid = off_loop(_hasher.verify, password_hash or _dummy_hash(), password)
    except (VerificationError, InvalidHashError):
        return False
    return valid and password_hash is not None
