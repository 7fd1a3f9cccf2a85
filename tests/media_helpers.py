"""Create media rows and files directly, the way the ingest and template services will."""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from photoslot import clock
from photoslot.extensions import db
from photoslot.models import JobHistory, MediaObject
from photoslot.models.base import new_uuid
from photoslot.services.media import store

JPEG = b"\xff\xd8\xff\xe0" + b"photoslot-test-bytes" * 10


class MediaRef(NamedTuple):
    """What a test needs of a media row; plain values, still readable after the row is deleted."""

    id: str
    kind: str
    path: str
    token: str


def add_media(
    kind: str,
    *,
    expires_at: datetime | None = None,
    created_at: datetime | None = None,
    parent: MediaRef | None = None,
    job_id: str | None = None,
    path: str | None = None,
    data: bytes = JPEG,
    write_file: bool = True,
) -> MediaRef:
    """Write a file through the media store and commit its row (call in an app context)."""
    media_id = new_uuid()
    relative = path or store.relative_path(kind, media_id, "image/jpeg")
    if write_file:
        store.write_bytes(relative, data)
    media = MediaObject(
        id=media_id,
        kind=kind,
        path=relative,
        mime="image/jpeg",
        size=len(data),
        created_at=created_at or clock.now(),
        expires_at=expires_at,
        parent_id=parent.id if parent else None,
        job_id=job_id,
    )
    db.session.add(media)
    db.session.commit()
    return MediaRef(media.id, media.kind, media.path, media.token)


def add_job(status: str = "pending", started_at: datetime | None = None) -> JobHistory:
    """Commit a job_history row on slot-001."""
    job = JobHistory(
        slot_id="slot-001",
        provider="local",
        operation="identity",
        status=status,
        started_at=started_at or clock.now(),
    )
    db.session.add(job)
    db.session.commit()
    return job


def exists(media_id: str) -> bool:
    """True if the row is still in the database (fresh read)."""
    db.session.expire_all()
    return db.session.get(MediaObject, media_id) is not None
