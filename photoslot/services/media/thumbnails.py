"""Thumbnails: a small JPEG made once per parent media (template or result), served by token.

The picture is rendered before any row is added: rendering waits on the CPU thread, and no
transaction may stay open while a request waits (SQLite would block every other writer).
"""

from __future__ import annotations

import io
from collections.abc import Iterable

from PIL import Image
from sqlalchemy import select

from photoslot import images
from photoslot.extensions import db
from photoslot.images import THUMBNAIL_MIME, Rendition
from photoslot.models import MediaObject
from photoslot.models.base import new_uuid
from photoslot.offload import off_loop
from photoslot.services.media import store
from photoslot.services.media.store import MediaPathError


class ThumbnailError(Exception):
    """The parent image could not be read or decoded, so no thumbnail was made."""


def render(data: bytes) -> Rendition:
    """``data`` scaled to fit ``images.THUMBNAIL_SIDE`` as JPEG, never enlarged; ThumbnailError
    if unusable."""
    try:
        return off_loop(_render, data)
    except Exception as exc:
        # A hostile file can make Pillow's decoders raise nearly anything (struct.error,
        # IndexError, ZeroDivisionError, ...): whatever it is, there is no thumbnail (422).
        raise ThumbnailError(f"{type(exc).__name__}: {exc}"[:200]) from exc


def _render(data: bytes) -> Rendition:
    with Image.open(io.BytesIO(data)) as original:
        # JPEG only: decode at 1/2..1/8 scale, still at least THUMBNAIL_SIDE on each side
        # (a 24 Mpx photo costs ~20 ms instead of ~250 ms).
        original.draft("RGB", (images.THUMBNAIL_SIDE, images.THUMBNAIL_SIDE))
        return images.thumbnail(original)


def thumbnails_of(parent_ids: Iterable[str]) -> dict[str, MediaObject]:
    """The thumbnail of each parent that has one, in one query (the oldest, if several)."""
    ids = list(set(parent_ids))
    if not ids:
        return {}
    # Only thumbnails have a parent. Filtering on parent_id alone lets SQLite take the parent_id
    # index; with kind = 'thumbnail' beside it, it walks every thumbnail instead.
    rows = db.session.scalars(
        select(MediaObject)
        .where(MediaObject.parent_id.in_(ids))
        .order_by(MediaObject.created_at.desc())
    )
    return {row.parent_id: row for row in rows if row.parent_id and row.kind == "thumbnail"}


def add_thumbnail(parent: MediaObject, rendition: Rendition) -> MediaObject:
    """Store ``rendition`` as the parent's thumbnail; the caller commits. The file is written
    before the row is added, so a committed row always has its file."""
    thumb_id = new_uuid()
    thumb = MediaObject(
        id=thumb_id,
        kind="thumbnail",
        path=store.relative_path("thumbnail", thumb_id, THUMBNAIL_MIME),
        mime=THUMBNAIL_MIME,
        size=len(rendition.jpeg),
        width=rendition.width,
        height=rendition.height,
        expires_at=parent.expires_at,
        slot_id=parent.slot_id,
        job_id=parent.job_id,
        parent_id=parent.id,
    )
    store.write_bytes(thumb.path, rendition.jpeg)
    db.session.add(thumb)
    return thumb


def ensure_thumbnail(parent: MediaObject) -> MediaObject:
    """The thumbnail of a stored parent, made from its file if it has none; the caller commits."""
    existing = thumbnails_of([parent.id]).get(parent.id)
    if existing is not None:
        return existing
    try:
        source = store.read_bytes(parent.path)
    except (OSError, MediaPathError) as exc:
        raise ThumbnailError(f"cannot read media {parent.id}: {exc}") from exc
    return add_thumbnail(parent, render(source))
