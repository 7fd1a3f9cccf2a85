"""Admin JSON API: slots, providers, template media, maintenance."""

from __future__ import annotations

from flask import Blueprint, jsonify, request
from flask.typing import ResponseReturnValue

from photoslot.auth import require_permission
from photoslot.errors import ApiError
from photoslot.services import slot_views, templates

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
