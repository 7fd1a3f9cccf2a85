"""Runtime settings: the ingest password (stored only as a hash, read fresh on every check)."""

from __future__ import annotations

import hashlib

from photoslot import clock
from photoslot.auth import hash_password, verify_password
from photoslot.extensions import db
from photoslot.models import INGEST_PASSWORD_HASH, Setting

# Verified (hash, password) digests; a rotated hash never matches an old entry. Bounded size.
_verified: set[str] = set()
_VERIFIED_MAX = 64


def ingest_password_setting() -> Setting | None:
    """The stored ingest password row (hash + who/when), or None before the first rotation."""
    return db.session.get(Setting, INGEST_PASSWORD_HASH)


def set_ingest_password(password: str, actor: str) -> Setting:
    """Store the hash of a new ingest password; the caller's service commits (with its audit)."""
    row = ingest_password_setting() or Setting(key=INGEST_PASSWORD_HASH)
    row.value = hash_password(password)
    row.updated_at = clock.now()
    row.updated_by = actor
    db.session.add(row)
    return row


def check_ingest_password(candidate: str | None) -> bool | None:
    """True/False for a candidate against the current hash; None when no password is set yet.

    The hash is read from the database on every call, so a rotation takes effect at once in every
    worker; argon2 is only paid once per (hash, password) pair per process.
    """
    row = ingest_password_setting()
    if row is None:
        return None
    if not candidate:
        return False
    digest = hashlib.sha256(f"{row.value}\0{candidate}".encode()).hexdigest()
    if digest in _verified:
        return True
    if not verify_password(row.value, candidate):
        return False
    if len(_verified) >= _VERIFIED_MAX:
        _verified.clear()
    _verified.add(digest)
    return True
