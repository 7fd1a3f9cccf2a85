"""Runtime settings: the ingest password (stored only as a hash, read fresh on every check, see
services/ingest/password.py).

The other settings shown by GET /api/settings come from the environment (Config) and are
read-only at runtime.
"""

from __future__ import annotations

import secrets
from typing import Any

from photoslot import clock
from photoslot.clock import iso
from photoslot.config import current_config
from photoslot.errors import ApiError
from photoslot.extensions import db
from photoslot.models import INGEST_PASSWORD_HASH, Setting
from photoslot.passwords import hash_password
from photoslot.providers import all_providers
from photoslot.services import audit

MIN_INGEST_PASSWORD_LENGTH = 8
MAX_INGEST_PASSWORD_LENGTH = 256
_SECRET_FIELDS = frozenset({"ingest_password"})


def ingest_password_setting() -> Setting | None:
    """The stored ingest password row (hash + who/when), or None before the first rotation."""
    return db.session.get(Setting, INGEST_PASSWORD_HASH)


def set_ingest_password(password: str, actor: audit.Actor) -> Setting:
    """Store the hash of a new ingest password; the caller's service commits (with its audit)."""
    row = ingest_password_setting() or Setting(key=INGEST_PASSWORD_HASH)
    row.value = hash_password(password)
    row.updated_at = clock.now()
    row.updated_by = actor.name
    db.session.add(row)
    return row


def rotate_ingest_password(password: object, actor: audit.Actor) -> Setting:
    """Validate and store a new ingest password, audit it (masked) and commit; 422 if invalid."""
    if not isinstance(password, str) or not (
        MIN_INGEST_PASSWORD_LENGTH <= len(password) <= MAX_INGEST_PASSWORD_LENGTH
    ):
        raise ApiError(
            422,
            "validation_error",
            "the ingest password is not acceptable",
            {"fields": {"ingest_password": f"must be a string of {MIN_INGEST_PASSWORD_LENGTH}–"
                                           f"{MAX_INGEST_PASSWORD_LENGTH} characters"}},
        )
    before = ingest_password_setting()
    old_hash = before.value if before else None
    row = set_ingest_password(password, actor)
    changes = audit.diff({"ingest_password": old_hash}, {"ingest_password": row.value},
                         _SECRET_FIELDS)
    audit.record("settings_changed", "setting", "ingest_password", changes, actor)
    db.session.commit()
    return row


def generate_ingest_password(actor: audit.Actor = audit.SYSTEM) -> str | None:
    """Set a random ingest password if none is set and return it (to be shown once); else None."""
    if ingest_password_setting() is not None:
        return None
    password = secrets.token_urlsafe(12)
    rotate_ingest_password(password, actor)
    return password


def settings_view() -> dict[str, Any]:
    """What GET /api/settings shows: metadata only, never the ingest password or its hash."""
    config = current_config()
    row = ingest_password_setting()
    return {
        "ingest_password": {
            "set": row is not None,
            "updated_at": iso(row.updated_at) if row else None,
            "updated_by": row.updated_by if row else None,
        },
        "t_sync_response_s": config.t_sync_response_s,
        "result_ttl_h": config.result_ttl_h,
        "max_upload_mb": config.max_upload_mb,
        "providers": {
            name: {"configured": provider.is_configured()}
            for name, provider in sorted(all_providers().items())
        },
    }
