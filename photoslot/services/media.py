"""Media lifetime rules shared by every reader and the cleanup: when an object stops being served.

One rule, two forms: ``expiry_of`` (Python, for one loaded object) and ``expired_clause`` (SQL, for
the cleanup and storage queries). Both compare with ``clock.now()``, never the database's clock.
"""

from __future__ import annotations

import logging
import shutil
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, or_, select

from photoslot import clock
from photoslot.config import current_config
from photoslot.errors import ApiError
from photoslot.extensions import db
from photoslot.log import log_event
from photoslot.models import MEDIA_KINDS, MediaObject
from photoslot.services import media_store

log = logging.getLogger(__name__)
#: Longest a client may cache a public object; never beyond the object's own expiry.
MAX_CACHE_SECONDS = 24 * 3600


def default_ttl(kind: str) -> timedelta | None:
    """Lifetime of ``kind`` for rows without ``expires_at``: inputs T_sync, results RESULT_TTL_H."""
    config = current_config()
    if kind == "input":
        return timedelta(seconds=config.t_sync_response_s)
    if kind == "result":
        return timedelta(hours=config.result_ttl_h)
    return None


def expiry_of(media: MediaObject) -> datetime | None:
    """When ``media`` expires (None = never): its own expiry, or its parent's if that is earlier."""
    expiry = media.expires_at
    ttl = default_ttl(media.kind)
    if expiry is None and ttl is not None:
        expiry = media.created_at + ttl
    if media.parent_id is not None:
        parent = db.session.get(MediaObject, media.parent_id)
        parent_expiry = expiry_of(parent) if parent is not None else None
        if parent_expiry is not None and (expiry is None or parent_expiry < expiry):
            expiry = parent_expiry
    return expiry


def expired_clause(now: datetime) -> ColumnElement[bool]:
    """SQL form of the row's own expiry at ``now`` (thumbnails go with their parent separately)."""
    fallbacks = [
        and_(
            MediaObject.expires_at.is_(None),
            MediaObject.kind == kind,
            MediaObject.created_at <= now - ttl,
        )
        for kind in ("input", "result")
        if (ttl := default_ttl(kind)) is not None
    ]
    return or_(MediaObject.expires_at <= now, *fallbacks)


def ensure_not_expired(media: MediaObject, at: datetime | None = None) -> MediaObject:
    """Return ``media`` if still served at ``at`` (default now), else ApiError 410 + expired_at."""
    expiry = expiry_of(media)
    if expiry is not None and expiry <= (at or clock.now()):
        raise ApiError(
            410, "media_expired", f"this {media.kind} has expired",
            {"expired_at": expiry.isoformat()},
        )
    return media


def load_live_media(token: str, kind: str | None = None) -> MediaObject:
    """The object behind a public token (of ``kind`` if given): 404 unknown, 410 once expired."""
    query = select(MediaObject).where(MediaObject.token == token)
    if kind is not None:
        query = query.where(MediaObject.kind == kind)
    media = db.session.scalar(query)
    if media is None:
        raise ApiError(404, "media_not_found", "no media with this token")
    return ensure_not_expired(media)


def file_of(media: MediaObject) -> Path:
    """Absolute path of the object's file inside the media root; 410 if missing or unsafe."""
    try:
        path = media_store.resolve(media.path)
    except media_store.MediaPathError:
        log_event(log, "media_path_refused", logging.WARNING, media_id=media.id, path=media.path)
        path = None
    if path is None or not path.is_file():
        log_event(log, "media_file_missing", logging.WARNING, media_id=media.id)
        raise ApiError(410, "media_gone", "the file of this media is no longer stored")
    return path


def cache_seconds(media: MediaObject) -> int:
    """How long a client may cache ``media``: a day at most, and never past its expiry."""
    expiry = expiry_of(media)
    if expiry is None:
        return MAX_CACHE_SECONDS
    return max(0, min(MAX_CACHE_SECONDS, int((expiry - clock.now()).total_seconds())))


def storage_usage() -> dict[str, Any]:
    """Objects, bytes and not-yet-deleted expired objects per kind; the media root's free space."""
    expired = func.sum(case((expired_clause(clock.now()), 1), else_=0))
    rows = db.session.execute(
        select(
            MediaObject.kind, func.count(), func.coalesce(func.sum(MediaObject.size), 0), expired
        ).group_by(MediaObject.kind)
    ).all()
    kinds = {kind: {"objects": 0, "bytes": 0, "expired": 0} for kind in MEDIA_KINDS}
    for kind, objects, size, expired_count in rows:
        kinds[kind] = {"objects": objects, "bytes": int(size), "expired": int(expired_count or 0)}
    disk = shutil.disk_usage(media_store.media_root())
    return {
        "kinds": kinds,
        "total": {
            "objects": sum(k["objects"] for k in kinds.values()),
            "bytes": sum(k["bytes"] for k in kinds.values()),
        },
        "disk": {"total_bytes": disk.total, "used_bytes": disk.used, "free_bytes": disk.free},
    }
