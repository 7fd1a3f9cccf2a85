"""Template media (UC5): register, list and delete images, and bind them to slots in order."""

from __future__ import annotations

import logging
from typing import Any, BinaryIO

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from photoslot import clock, images
from photoslot.clock import iso
from photoslot.config import current_config
from photoslot.errors import ApiError
from photoslot.extensions import db
from photoslot.log import log_event
from photoslot.models import MediaObject, Slot, SlotTemplateMedia
from photoslot.models.base import new_uuid
from photoslot.providers import all_providers
from photoslot.services import audit
from photoslot.services.media import store, thumbnails
from photoslot.services.media.lifetime import ensure_not_expired
from photoslot.services.media.store import media_url, thumbnail_url
from photoslot.services.media.thumbnails import thumbnails_of
from photoslot.services.slots.configure import MAX_TEMPLATES_PER_SLOT, get_slot, version_conflict

log = logging.getLogger(__name__)


def register_template(stream: BinaryIO, actor: audit.Actor) -> dict[str, Any]:
    """Validate an uploaded image, store it as a template (no expiry) with its thumbnail."""
    limit = current_config().max_upload_bytes
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise ApiError(413, "payload_too_large", "the file is larger than the upload limit",
                       {"max_bytes": limit})
    mime, width, height = images.require_image(data)
    try:
        rendition = thumbnails.render(data)  # before any row: no transaction waits on it
    except thumbnails.ThumbnailError as exc:
        raise ApiError(422, "invalid_image", "the image cannot be decoded",
                       {"reason": str(exc)}) from None
    media_id = new_uuid()
    media = MediaObject(id=media_id, kind="template", mime=mime, size=len(data), width=width,
                        height=height, path=store.relative_path("template", media_id, mime))
    written = [media.path]
    try:
        store.write_bytes(media.path, data)
        db.session.add(media)
        thumb = thumbnails.add_thumbnail(media, rendition)
        written.append(thumb.path)
        audit.record("template_media.register", "media", media.id,
                     {"mime": [None, mime], "size": [None, media.size],
                      "dimensions": [None, f"{width}x{height}"]}, actor)
        db.session.commit()
    except BaseException:  # includes gevent.Timeout: never leave files without rows
        db.session.rollback()
        for path in written:
            store.delete_file(path)
        raise
    log_event(log, "template_registered", media_id=media.id, mime=mime, size=media.size)
    return describe(media, thumb, [])


def list_templates() -> list[dict[str, Any]]:
    """Every template with its links and the slots it is bound to, newest first (3 queries)."""
    templates = list(db.session.scalars(
        select(MediaObject).where(MediaObject.kind == "template")
        .order_by(MediaObject.created_at.desc(), MediaObject.id)
    ))
    bound: dict[str, list[str]] = {}
    for slot_id, media_id in db.session.execute(
        select(SlotTemplateMedia.slot_id, SlotTemplateMedia.media_id)
        .order_by(SlotTemplateMedia.slot_id)
    ):
        bound.setdefault(media_id, []).append(slot_id)
    thumbs = thumbnails_of(t.id for t in templates)
    return [describe(t, thumbs.get(t.id), bound.get(t.id, [])) for t in templates]


def describe(media: MediaObject, thumb: MediaObject | None,
             slot_ids: list[str] | None = None) -> dict[str, Any]:
    """The API view of a template (``slot_ids`` given → listed as ``slots``)."""
    view: dict[str, Any] = {
        "id": media.id,
        "url": media_url(media.token),
        "thumbnail_url": thumbnail_url(thumb.token) if thumb else None,
        "mime": media.mime,
        "size": media.size,
        "width": media.width,
        "height": media.height,
        "created_at": iso(media.created_at),
    }
    if slot_ids is not None:
        view["slots"] = slot_ids
    return view


def get_template(media_id: str) -> MediaObject:
    """The template ``media_id``; 404 if there is no such template."""
    media = db.session.get(MediaObject, media_id)
    if media is None or media.kind != "template":
        raise ApiError(404, "media_not_found", "no such template media", {"media_id": media_id})
    return media


def delete_template(media_id: str, actor: audit.Actor) -> None:
    """Delete an unbound template with its thumbnails (rows, then files); 409 while bound."""
    media = get_template(media_id)
    slot_ids = _bound_slots(media_id)
    if slot_ids:
        raise _in_use(media_id, slot_ids)
    child_paths = list(db.session.scalars(
        select(MediaObject.path).where(MediaObject.parent_id == media_id)
    ))
    paths = [media.path, *child_paths]
    db.session.execute(delete(MediaObject).where(MediaObject.parent_id == media_id))
    db.session.delete(media)
    audit.record("template_media.delete", "media", media_id,
                 {"mime": [media.mime, None], "size": [media.size, None]}, actor)
    try:
        db.session.commit()
    except IntegrityError:
        # A bind committed between our check and our delete: the foreign key refused it.
        db.session.rollback()
        raise _in_use(media_id, _bound_slots(media_id)) from None
    for path in paths:
        store.delete_file(path)
    log_event(log, "template_deleted", media_id=media_id, files=len(paths))


def _bound_slots(media_id: str) -> list[str]:
    return list(db.session.scalars(
        select(SlotTemplateMedia.slot_id).where(SlotTemplateMedia.media_id == media_id)
        .order_by(SlotTemplateMedia.slot_id)
    ))


def _in_use(media_id: str, slot_ids: list[str]) -> ApiError:
    return ApiError(409, "template_in_use",
                    f"the template is bound to {', '.join(slot_ids)}; unbind it first",
                    {"media_id": media_id, "slots": slot_ids})


def bind_template(slot_id: str, media_id: str, actor: audit.Actor) -> Slot:
    """Append a template to the slot's list (no-op if already bound); bumps the slot version."""
    slot = get_slot(slot_id)
    media = db.session.get(MediaObject, media_id)
    if media is None:
        raise ApiError(404, "media_not_found", "no such media", {"media_id": media_id})
    if media.kind != "template":
        raise ApiError(422, "not_a_template", "only template media can be bound to a slot",
                       {"media_id": media_id, "kind": media.kind})
    ensure_not_expired(media, details={"media_id": media_id})
    before = [link.media_id for link in slot.template_links]
    if media_id in before:
        return slot
    _ensure_room(slot)
    position = db.session.scalar(
        select(func.coalesce(func.max(SlotTemplateMedia.position), -1))
        .where(SlotTemplateMedia.slot_id == slot_id)
    ) + 1
    slot.template_links.append(SlotTemplateMedia(media_id=media_id, position=position))
    return _save_links(slot, "slot.template_bind", before, actor)


def upload_template_to_slot(slot_id: str, stream: BinaryIO, actor: audit.Actor) -> Slot:
    """Register an uploaded image as a template and bind it to the slot (the admin UI's upload);
    the slot and its free place are checked before anything is stored."""
    _ensure_room(get_slot(slot_id))
    media = register_template(stream, actor)
    return bind_template(slot_id, media["id"], actor)


def _ensure_room(slot: Slot) -> None:
    """422 when the slot already has MAX_TEMPLATES_PER_SLOT templates."""
    if len(slot.template_links) >= MAX_TEMPLATES_PER_SLOT:
        raise ApiError(422, "validation_error", "this slot already has the most templates allowed",
                       {"fields": {"template_media_ids": f"at most {MAX_TEMPLATES_PER_SLOT} "
                                                         "templates per slot"}})


def unbind_template(slot_id: str, media_id: str, actor: audit.Actor) -> Slot:
    """Remove a template from the slot's list; 404 if it was not bound; bumps the version."""
    slot = get_slot(slot_id)
    before = [link.media_id for link in slot.template_links]
    if media_id not in before:
        raise ApiError(404, "template_not_bound", "this media is not bound to the slot",
                       {"slot_id": slot_id, "media_id": media_id})
    provider = all_providers().get(slot.provider)
    if (slot.enabled and before == [media_id] and provider is not None
            and slot.operation in provider.needs_template):
        raise ApiError(422, "template_required",
                       f"slot {slot_id} is enabled and {slot.provider}/{slot.operation} needs a "
                       "template: bind another one or disable the slot first",
                       {"slot_id": slot_id, "media_id": media_id})
    slot.template_links = [link for link in slot.template_links if link.media_id != media_id]
    return _save_links(slot, "slot.template_unbind", before, actor)


def _save_links(slot: Slot, action: str, before: list[str], actor: audit.Actor) -> Slot:
    """Commit a change of the slot's templates: touching the row bumps version_id_col."""
    slot_id, old_version = slot.id, slot.version
    slot.updated_at = clock.now()
    slot.updated_by = actor.name
    after = [link.media_id for link in slot.template_links]
    audit.record(action, "slot", slot_id, {"template_media_ids": [before, after],
                                           "version": [old_version, old_version + 1]}, actor)
    try:
        db.session.commit()
    except IntegrityError:
        # The template was deleted between our read and this commit.
        db.session.rollback()
        raise ApiError(404, "media_not_found", "the template no longer exists",
                       {"slot_id": slot_id, "media_ids": after}) from None
    except StaleDataError:
        db.session.rollback()
        raise version_conflict(get_slot(slot_id)) from None
    log_event(log, "slot_templates_changed", slot_id=slot_id, action=action,
              version=slot.version, template_media_ids=after)
    return slot
