"""Media lifetime rules shared by every reader and the cleanup: when an object stops being served.

One rule, two forms: ``expiry_of`` / ``expired_at`` / ``ensure_not_expired`` (Python, for one
loaded object) and ``expired_clause`` / ``live_clause`` (SQL, for lists, cleanup and storage). An
object expires at its ``expires_at`` (every writer sets it for inputs and results; templates have
none) and a thumbnail also with its parent. All compare with ``clock.now()``, never the database's.
"""

from __future__ import annotations

import logging
import shutil
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, literal, not_, select

from photoslot import clock
from photoslot.clock import iso
from photoslot.errors import ApiError
from photoslot.extensions import db
from photoslot.log import log_event
from photoslot.models import MEDIA_KINDS, JobHistory, MediaObject
from photoslot.services.media import store

log = logging.getLogger(__name__)
#: Longest a client may cache a public object; never beyond the object's own expiry.
MAX_CACHE_SECONDS = 24 * 3600


def expiry_of(media: MediaObject) -> datetime | None:
    """When ``media`` expires (None = never): its ``expires_at``, or its parent's if earlier."""
    expiry = media.expires_at
    if media.parent_id is not None:
        parent = db.session.get(MediaObject, media.parent_id)
        parent_expiry = expiry_of(parent) if parent is not None else None
        if parent_expiry is not None and (expiry is None or parent_expiry < expiry):
            expiry = parent_expiry
    return expiry


def expired_at(media: MediaObject, at: datetime | None = None) -> datetime | None:
    """When ``media`` expired, if it has by ``at`` (default now); None while it is still served."""
    expiry = expiry_of(media)
    return expiry if expiry is not None and expiry <= (at or clock.now()) else None


def expired_clause(now: datetime) -> ColumnElement[bool]:
    """SQL form of the row's own expiry at ``now`` (thumbnails go with their parent separately)."""
    return and_(MediaObject.expires_at.is_not(None), MediaObject.expires_at <= now)


def live_clause(now: datetime) -> ColumnElement[bool]:
    """SQL form of "still served at ``now``" by the row's own expiry: the negation of the above."""
    return not_(expired_clause(now))


def ensure_not_expired(
    media: MediaObject, at: datetime | None = None, details: dict[str, Any] | None = None
) -> MediaObject:
    """Return ``media`` if still served at ``at`` (default now), else ApiError 410 with
    ``expired_at`` (plus ``details``, e.g. the media id for admin callers)."""
    expiry = expired_at(media, at)
    if expiry is not None:
        raise ApiError(
            410, "media_expired", f"this {media.kind} has expired",
            {**(details or {}), "expired_at": iso(expiry)},
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


def live_result(job_id: str) -> MediaObject:
    """The result of ``job_id``: 404 if there is none, 410 once expired or already cleaned up."""
    found = db.session.scalar(
        select(MediaObject).where(MediaObject.kind == "result", MediaObject.job_id == job_id)
    )
    if found is None:
        job = db.session.get(JobHistory, job_id)
        if job is not None and job.status == "done":
            raise ApiError(410, "media_gone", "this result is no longer stored", {"job_id": job_id})
        raise ApiError(404, "result_not_found", "there is no result for this job",
                       {"job_id": job_id})
    return ensure_not_expired(found)


def file_of(media: MediaObject) -> Path:
    """Absolute path of the object's file inside the media root; 410 if missing or unsafe."""
    try:
        path = store.resolve(media.path)
    except store.MediaPathError:
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
    return {**media_volume(), "disk": disk_usage()}


def media_volume(count_expired: bool = True) -> dict[str, Any]:
    """Objects, bytes and (unless ``count_expired`` is False: a cheaper scan) not-yet-deleted
    expired objects per kind, and their totals — one aggregate query over media_object, no walk
    of the media tree."""
    expired = (func.sum(case((expired_clause(clock.now()), 1), else_=0)) if count_expired
               else literal(0))
    rows = db.session.execute(
        select(
            MediaObject.kind, func.count(), func.coalesce(func.sum(MediaObject.size), 0), expired
        ).group_by(MediaObject.kind)
    ).all()
    kinds = {kind: {"objects": 0, "bytes": 0, "expired": 0} for kind in MEDIA_KINDS}
    for kind, objects, size, expired_count in rows:
        kinds[kind] = {"objects": objects, "bytes": int(size), "expired": int(expired_count or 0)}
    if not count_expired:
        for figures in kinds.values():
            del figures["expired"]
    return {
        "kinds": kinds,
        "total": {
            "objects": sum(k["objects"] for k in kinds.values()),
            "bytes": sum(k["bytes"] for k in kinds.values()),
        },
    }


def disk_usage() -> dict[str, int]:
    """Total, used and free bytes of the filesystem holding the media root; OSError if gone."""
    disk = shutil.disk_usage(store.media_root())
    return {"total_bytes": disk.total, "used_bytes": disk.used, "free_bytes": disk.free}
