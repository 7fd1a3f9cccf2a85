"""Slot configuration: seeding, listing and validated, audited updates (CLI and admin API)."""

from __future__ import annotations

from typing import Any

from jsonschema import Draft202012Validator
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from photoslot import clock
from photoslot.clock import iso
from photoslot.errors import ApiError
from photoslot.extensions import db
from photoslot.models import SLOT_IDS, MediaObject, Slot, SlotTemplateMedia
from photoslot.providers import all_providers
from photoslot.services import audit
from photoslot.services.media.lifetime import expired_at

DEFAULT_PROVIDER = "local"
DEFAULT_OPERATION = "grayscale"
MAX_TEMPLATES_PER_SLOT = 20
EDITABLE_FIELDS = frozenset(
    {"name", "enabled", "provider", "operation", "params", "template_media_ids"})


def seed_slots() -> list[str]:
    """Create any of the 15 slots that are missing (disabled, local provider); return new ids."""
    existing = set(db.session.scalars(select(Slot.id)))
    created = [slot_id for slot_id in SLOT_IDS if slot_id not in existing]
    for slot_id in created:
        db.session.add(
            Slot(
                id=slot_id,
                name=f"Slot {slot_id[-3:]}",
                enabled=False,
                provider=DEFAULT_PROVIDER,
                operation=DEFAULT_OPERATION,
                params={},
            )
        )
    db.session.commit()
    return created


def slot_rows() -> list[Slot]:
    """All slot rows in id order (for the CLI; views.list_slots is the API view)."""
    return list(db.session.scalars(select(Slot).order_by(Slot.id)))


def get_slot(slot_id: str, for_update: bool = False) -> Slot:
    """The slot, or ApiError 404 ``slot_not_found``; ``for_update`` locks its row until commit."""
    # FOR NO KEY UPDATE: concurrent updates queue here (the later one then sees the new version),
    # while ingest jobs, whose foreign key takes KEY SHARE on the slot, are not held up.
    lock = {"key_share": True} if for_update else None
    slot = db.session.get(Slot, slot_id, with_for_update=lock, populate_existing=for_update)
    if slot is None:
        raise slot_not_found(slot_id)
    return slot


def slot_not_found(slot_id: str) -> ApiError:
    """The one 404 for an unknown slot id (admin API, CLI, ingest)."""
    return ApiError(404, "slot_not_found", f"there is no slot {slot_id!r}", {"slot_id": slot_id})


def slot_header(slot: Slot) -> dict[str, Any]:
    """What every view of a slot shows: id, name, state, provider/operation, version, last change
    (only columns of the slot row, so listing all slots loads nothing else)."""
    return {
        "id": slot.id,
        "name": slot.name,
        "enabled": slot.enabled,
        "provider": slot.provider,
        "operation": slot.operation,
        "version": slot.version,
        "updated_at": iso(slot.updated_at),
        "updated_by": slot.updated_by,
    }


def slot_config(slot: Slot) -> dict[str, Any]:
    """The editable configuration plus version and who changed it last (for diffs and APIs)."""
    return {
        **slot_header(slot),
        "params": dict(slot.params or {}),
        "template_media_ids": [link.media_id for link in slot.template_links],
    }


def update_slot(
    slot_id: str, changes: dict[str, Any], actor: audit.Actor, expected_version: int | None = None
) -> Slot:
    """Apply ``changes`` (name, enabled, provider, operation, params, template_media_ids — the
    ordered list replaces the bound templates) after validating the result.

    Raises ApiError 404 (unknown slot), 409 (``expected_version`` is stale, or a concurrent update
    won) or 422 with ``details.fields`` = {JSON path: reason} for every bad field. Commits the
    change with an audit record (before/after diff) by ``actor``; the version is bumped. A request
    that changes nothing writes nothing: same version, no audit record.
    """
    slot = get_slot(slot_id, for_update=True)
    if expected_version is not None and expected_version != slot.version:
        raise version_conflict(slot)
    if isinstance(changes.get("name"), str):
        changes = {**changes, "name": changes["name"].strip()}  # validated and stored stripped
    before = slot_config(slot)
    after = {**before, **changes}
    new_templates = changes.get("template_media_ids", before["template_media_ids"])
    errors = validate_config(after, unknown=set(changes) - EDITABLE_FIELDS,
                             has_templates=bool(new_templates))
    if "template_media_ids" in changes:
        errors.update(check_template_ids(new_templates))
    if errors:
        raise _invalid(errors)
    editable = sorted(EDITABLE_FIELDS)
    changed = audit.diff({k: before[k] for k in editable}, {k: after[k] for k in editable})
    if not changed:
        db.session.rollback()  # nothing to write: same version, no audit row; frees the row lock
        return slot
    for field in EDITABLE_FIELDS & set(changes) - {"template_media_ids"}:
        setattr(slot, field, changes[field])
    if "template_media_ids" in changes:
        replace_templates(slot, new_templates)
    slot.updated_at = clock.now()
    slot.updated_by = actor.name
    audit.record("slot.update", "slot", slot_id, changed, actor)
    try:
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        raise version_conflict(get_slot(slot_id)) from None
    except IntegrityError:
        # A template was deleted between the check and the commit (its foreign key refused it).
        db.session.rollback()
        raise _invalid({"template_media_ids": "a template was deleted meanwhile; reload"}
                       ) from None
    return slot


def validate_config(
    config: dict[str, Any], unknown: set[str] = frozenset(), has_templates: bool = True
) -> dict[str, str]:
    """{JSON path: reason} for every problem of a full slot configuration; empty when valid."""
    errors = {field: "not an editable field" for field in sorted(unknown)}
    name = config.get("name")
    if not isinstance(name, str) or not 1 <= len(name.strip()) <= 100:
        errors["name"] = "must be a non-empty string of at most 100 characters"
    if not isinstance(config.get("enabled"), bool):
        errors["enabled"] = "must be true or false"
    providers = all_providers()
    provider = providers.get(config.get("provider"))  # type: ignore[arg-type]
    if provider is None:
        errors["provider"] = f"unknown provider; known: {sorted(providers)}"
        return errors
    schema = provider.operations.get(config.get("operation"))  # type: ignore[arg-type]
    if schema is None:
        errors["operation"] = (
            f"unknown operation for provider {provider.name!r}; "
            f"known: {sorted(provider.operations)}"
        )
        return errors
    params = config.get("params")
    for error in Draft202012Validator(schema).iter_errors(params):
        path = ".".join(["params", *(str(p) for p in error.absolute_path)])
        errors.setdefault(path, error.message)
    if config.get("enabled") is True:
        if not provider.is_configured():
            errors["enabled"] = (f"provider {provider.name!r} is not configured: "
                                 f"{provider.setup_hint or 'see flask providers check'}")
        elif config["operation"] in provider.needs_template and not has_templates:
            errors["enabled"] = f"operation {config['operation']!r} needs a template image first"
    return errors


def check_template_ids(media_ids: Any) -> dict[str, str]:
    """{JSON path: reason} for every entry of a slot's new template list that cannot be bound."""
    if not isinstance(media_ids, list) or not all(isinstance(i, str) for i in media_ids):
        return {"template_media_ids": "must be a list of template media ids"}
    if len(media_ids) > MAX_TEMPLATES_PER_SLOT:
        return {"template_media_ids": f"at most {MAX_TEMPLATES_PER_SLOT} templates per slot"}
    found = {media.id: media for media in db.session.scalars(
        select(MediaObject).where(MediaObject.id.in_(media_ids)))} if media_ids else {}
    errors: dict[str, str] = {}
    for index, media_id in enumerate(media_ids):
        media = found.get(media_id)
        if media_id in media_ids[:index]:
            reason = "listed more than once"
        elif media is None:
            reason = f"no media {media_id!r}"
        elif media.kind != "template":
            reason = f"media {media_id!r} is a {media.kind}, not a template"
        elif (expiry := expired_at(media)) is not None:
            reason = f"media {media_id!r} expired at {iso(expiry)}"
        else:
            continue
        errors[f"template_media_ids.{index}"] = reason
    return errors


def replace_templates(slot: Slot, media_ids: list[str]) -> None:
    """Make ``media_ids`` (checked) the slot's templates in this order; the caller commits."""
    existing = {link.media_id: link for link in slot.template_links}
    links = []
    for position, media_id in enumerate(media_ids):
        link = existing.get(media_id) or SlotTemplateMedia(media_id=media_id)
        link.position = position
        links.append(link)
    slot.template_links = links


def _invalid(errors: dict[str, str]) -> ApiError:
    return ApiError(422, "validation_error", "the slot configuration is invalid",
                    {"fields": errors})


def version_conflict(slot: Slot) -> ApiError:
    """The one 409 for a stale or lost slot change: the current version and configuration."""
    return ApiError(409, "version_conflict", "the slot was changed by someone else; reload it",
                    {"current_version": slot.version, "current": slot_config(slot)})
