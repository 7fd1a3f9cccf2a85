"""Admin JSON API: slots, providers, template media, maintenance."""

from __future__ import annotations

from flask import Blueprint, jsonify, request
from flask.typing import ResponseReturnValue

from photoslot.auth import require_permission
from photoslot.errors import ApiError
from photoslot.services import audit, cleanup, media, slot_views, templates

bp = Blueprint("admin", __name__)


@bp.get("/providers")
@require_permission()
def list_providers() -> ResponseReturnValue:
    """Providers with their operations and each operation's params schema."""
    return jsonify({"providers": slot_views.describe_providers()})


@bp.get("/slots")
@require_permission()
def list_slots() -> ResponseReturnValue:
    """All 15 slots with ingest URLs and recent activity."""
    return jsonify({"slots": slot_views.list_slots()})


@bp.get("/slots/<slot_id>")
@require_permission()
def get_slot(slot_id: str) -> ResponseReturnValue:
    """One slot's full configuration; ETag carries its version."""
    return _slot_response(slot_views.get_slot_detail(slot_id))


@bp.post("/slots/<slot_id>/template-media/<media_id>")
@require_permission("slots:write")
def bind_template(slot_id: str, media_id: str) -> ResponseReturnValue:
    """Append a template image to the slot's list."""
    return _slot_response(slot_views.slot_detail(templates.bind_template(slot_id, media_id)))


@bp.delete("/slots/<slot_id>/template-media/<media_id>")
@require_permission("slots:write")
def unbind_template(slot_id: str, media_id: str) -> ResponseReturnValue:
    """Remove a template image from the slot's list."""
    return _slot_response(slot_views.slot_detail(templates.unbind_template(slot_id, media_id)))


def _slot_response(detail: dict) -> ResponseReturnValue:
    response = jsonify(detail)
    response.set_etag(str(detail["version"]))
    return response


@bp.post("/template-media/register")
@require_permission("media:write")
def register_template() -> ResponseReturnValue:
    """Upload a template image (multipart field ``file``)."""
    upload = request.files.get("file")
    if upload is None:
        raise ApiError(422, "validation_error", "send the image in the multipart field 'file'",
                       {"fields": [{"path": "file", "reason": "required"}]})
    return jsonify(templates.register_template(upload.stream)), 201


@bp.get("/template-media")
@require_permission()
def list_templates() -> ResponseReturnValue:
    """Every template with the slots it is bound to."""
    return jsonify({"template_media": templates.list_templates()})


@bp.delete("/template-media/<media_id>")
@require_permission("media:write")
def delete_template(media_id: str) -> ResponseReturnValue:
    """Delete a template that no slot uses."""
    templates.delete_template(media_id)
    return "", 204


# --- Maintenance: media cleanup and storage -------------------------------------------------


@bp.post("/maintenance/cleanup")
@require_permission("maintenance:write")
def maintenance_cleanup() -> ResponseReturnValue:
    """Run the media cleanup now (the service behind ``flask cleanup-media``); audited."""
    body = request.get_json(silent=True)
    body = {} if body is None else body
    dry_run = body.get("dry_run", False) if isinstance(body, dict) else None
    if not isinstance(dry_run, bool):
        raise ApiError(422, "validation_error", "body must be {\"dry_run\": true|false} or empty")
    try:
        outcome = cleanup.run_cleanup(dry_run=dry_run, actor=audit.current_actor(), audited=True)
    except cleanup.CleanupFailed as exc:
        raise ApiError(500, "cleanup_failed", str(exc), {"run_id": exc.run_id}) from exc
    if outcome.status == "busy":
        raise ApiError(409, "cleanup_running", "another cleanup is running; try again later",
                       {"run_id": outcome.run_id})
    return jsonify(outcome.as_dict())


@bp.get("/maintenance/storage")
@require_permission()
def maintenance_storage() -> ResponseReturnValue:
    """Objects and bytes per kind, free disk space of the media root, the last good cleanup."""
    return jsonify({**media.storage_usage(), "last_cleanup": cleanup.last_run("ok")})
