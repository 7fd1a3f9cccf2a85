"""Public result links: ``/public/results/{job_id}``, with the TTL checked on every read."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from photoslot import clock
from photoslot.errors import ApiError
from photoslot.extensions import db
from photoslot.log import log_event
from photoslot.models import MediaObject
from photoslot.services import media_store

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PublicResult:
    """A live result ready to be served."""

    data: bytes
    mime: str
    etag: str
    created_at: datetime
    expires_at: datetime | None
    max_age: int


def public_result(job_id: str) -> PublicResult:
    """The result of ``job_id``; ApiError 404 (no result) or 410 (expired, even before cleanup)."""
    try:
        media = db.session.scalar(
            select(MediaObject).where(MediaObject.kind == "result", MediaObject.job_id == job_id))
        if media is None:
            raise ApiError(404, "result_not_found", "there is no result for this job",
                           {"job_id": job_id})
        now = clock.now()
        if media.is_expired(now):
            raise ApiError(410, "result_expired", "this result has expired",
                           {"job_id": job_id, "expired_at": media.expires_at.isoformat()})
        path, mime, media_id = media.path, media.mime, media.id
        created_at, expires_at = media.created_at, media.expires_at
    finally:
        db.session.close()
    try:
        data = media_store.read_bytes(path)
    except (OSError, media_store.MediaPathError) as exc:
        log_event(log, "result_file_missing", level=logging.WARNING, job_id=job_id,
                  reason=str(exc)[:200])
        raise ApiError(404, "result_not_found", "the result file is gone",
                       {"job_id": job_id}) from None
    max_age = int((expires_at - now).total_seconds()) if expires_at else 3600
    return PublicResult(data, mime, media_id, created_at, expires_at, max(0, max_age))
