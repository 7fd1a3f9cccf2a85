"""Thumbnails: a small JPEG made once per parent media (template or result), served by token."""

from __future__ import annotations

import io
from collections.abc import Iterable

from PIL import Image, ImageOps
from sqlalchemy import select

from photoslot.extensions import db
from photoslot.models import MediaObject
from photoslot.models.base import new_uuid
from photoslot.offload import off_loop
from photoslot.services.media import store  # noqa: F401  (images: Pillow's bomb limit)
from photoslot.services.media.store import MediaPathError

THUMBNAIL_PX = 320
THUMBNAIL_MIME = "image/jpeg"
JPEG_QUALITY = 82


class ThumbnailError(Exception):
    """The parent image could not be read or decoded, so no thumbnail was made."""


def render(data: bytes) -> tuple[bytes, int, int]:
    """(JPEG bytes, width, height) of ``data`` scaled to fit THUMBNAIL_PX, never enlarged."""
    try:
        return off_loop(_render, data)
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as exc:
        raise ThumbnailError(str(exc)[:200]) from exc


def _render(data: bytes) -> tuple[bytes, int, int]:
    with Image.open(io.BytesIO(data)) as original:
        # JPEG only: decode at 1/2..1/8 scale, still at least THUMBNAIL_PX on each side
        # (a 24 Mpx photo costs ~20 ms instead of ~250 ms).
        original.draft("RGB", (THUMBNAIL_PX, THUMBNAIL_PX))
        image = ImageOps.exif_transpose(original)
        image.thumbnail((THUMBNAIL_PX, THUMBNAIL_PX))
        image = _flatten(image)
        out = io.BytesIO()
        image.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True)
        return out.getvalue(), image.width, image.height


def _flatten(image: Image.Image) -> Image.Image:
    """RGB for JPEG: transparent areas become white instead of black."""
    if image.mode in ("RGBA", "LA", "P", "PA"):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, "white")
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB")


def thumbnails_of(parent_ids: Iterable[str]) -> dict[str, MediaObject]:
    """The thumbnail of each parent that has one, in one query (the oldest, if several)."""
    ids = list(set(parent_ids))
    if not ids:
        return {}
    rows = db.session.scalars(
        select(MediaObject)
        .where(MediaObject.kind == "thumbnail", MediaObject.parent_id.in_(ids))
        .order_by(MediaObject.created_at.desc())
    )
    return {row.parent_id: row for row in rows if row.parent_id}


def ensure_thumbnail(parent: MediaObject, data: bytes | None = None) -> MediaObject:
    """The parent's thumbnail, made now if it has none; the caller commits.

    ``data`` are the parent's bytes when the caller already holds them (saves a read). The file
    is written before the row is added, so a committed row always has its file.
    """
    existing = thumbnails_of([parent.id]).get(parent.id)
    if existing is not None:
        return existing
    try:
        source = data if data is not None else store.read_bytes(parent.path)
    except (OSError, MediaPathError) as exc:
        raise ThumbnailError(f"cannot read media {parent.id}: {exc}") from exc
    jpeg, width, height = render(source)
    thumb_id = new_uuid()
    thumb = MediaObject(
        id=thumb_id,
        kind="thumbnail",
        path=store.relative_path("thumbnail", thumb_id, THUMBNAIL_MIME),
        mime=THUMBNAIL_MIME,
        size=len(jpeg),
        width=width,
        height=height,
        expires_at=parent.expires_at,
        slot_id=parent.slot_id,
        job_id=parent.job_id,
        parent_id=parent.id,
    )
    store.write_bytes(thumb.path, jpeg)
    db.session.add(thumb)
    return thumb
