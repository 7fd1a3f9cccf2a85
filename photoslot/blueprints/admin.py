"""Admin JSON API: slots, providers, template media."""

from __future__ import annotations

import re
import time
from typing import Any

from flask import Blueprint, jsonify, request
from flask.typing import ResponseReturnValue

from photoslot import clock
from photoslot.blueprints import json_object
from photoslot.blueprints.guards import current_actor, require_permission
from photoslot.blueprints.ingest_response import run_ingest
from photoslot.errors import ApiError
from photoslot.services.slots import configure as slots
from photoslot.services.slots import templates
from photoslot.services.slots import views as slot_views

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


@bp.put("/slots/<slot_id>")
@require_permission("slots:write")
def update_slot(slot_id: str) -> ResponseReturnValue:
    """Change the fields given (absent ones stay); needs the version read (body or If-Match)."""
    body = json_object()
    changes = {field: value for field, value in body.items() if field != "version"}
    expected = _expected_version(body)
    slot = slots.update_slot(slot_id, changes, current_actor(), expected)
    return _slot_response(slot_views.slot_detail(slot))


@bp.post("/slots/<slot_id>/test")
@require_permission("slots:write")
def test_slot(slot_id: str) -> ResponseReturnValue:
    """Run the real ingest pipeline on a sample photo, even on a disabled slot (a test job)."""
    return run_ingest(slot_id, None, time.monotonic(), clock.now(), is_test=True)


@bp.post("/slots/<slot_id>/template-media/<media_id>")
@require_permission("slots:write")
def bind_template(slot_id: str, media_id: str) -> ResponseReturnValue:
    """Append a template image to the slot's list."""
    slot = templates.bind_template(slot_id, media_id, current_actor())
    return _slot_response(slot_views.slot_detail(slot))


@bp.delete("/slots/<slot_id>/template-media/<media_id>")
@require_permission("slots:write")
def unbind_template(slot_id: str, media_id: str) -> ResponseReturnValue:
    """Remove a template image from the slot's list."""
    slot = templates.unbind_template(slot_id, media_id, current_actor())
    return _slot_response(slot_views.slot_detail(slot))


def _slot_response(detail: dict) -> ResponseReturnValue:
    response = jsonify(detail)
    response.set_etag(str(detail["version"]))
    return response


_IF_MATCH_VERSION = re.compile(r'(?:W/)?"([0-9]{1,18})"|([0-9]{1,18})')


def _expected_version(body: dict[str, Any]) -> int | None:
    """The version the client read: body ``version`` and/or ``If-Match`` (``"N"``, ``N``,
    ``W/"N"``; ``*`` = any version). 428 if neither is given, 422 if malformed or disagreeing."""
    header = request.headers.get("If-Match", "").strip() or None  # a blank one says nothing
    if header is None and "version" not in body:
        raise ApiError(428, "version_required",
                       "send the version you read: \"version\" in the body or If-Match",
                       {"fields": {"version": "required (or the If-Match header)"}})
    errors: dict[str, str] = {}
    from_header = from_body = None
    if header is not None and header.strip() != "*":
        match = _IF_MATCH_VERSION.fullmatch(header.strip())
        if match:
            from_header = int(match.group(1) or match.group(2))
        else:
            errors["If-Match"] = 'must be one slot version, e.g. "3" (the ETag of GET)'
    if "version" in body:
        from_body = body["version"]
        if isinstance(from_body, bool) or not isinstance(from_body, int) or from_body < 1:
            errors["version"] = "must be the slot's version, a positive integer"
        elif from_header is not None and from_header != from_body:
            errors["version"] = f"disagrees with If-Match ({from_header})"
    if errors:
        raise ApiError(422, "validation_error", "the version is missing or malformed",
                       {"fields": errors})
    return from_body if from_body is not None else from_header


@bp.post("/template-media/register")
@require_permission("media:write")
def register_template() -> ResponseReturnValue:
    """Upload a template image (multipart field ``file``)."""
    upload = request.files.get("file")
    if upload is None:
        raise ApiError(422, "validation_error", "send the image in the multipart field 'file'",
                       {"fields": {"file": "required"}})
    return jsonify(templates.register_template(upload.stream, current_actor())), 201


@bp.get("/template-media")
@require_permission()
def list_templates() -> ResponseReturnValue:
    """Every template with the slots it is bound to."""
    return jsonify({"template_media": templates.list_templates()})


# Media ids are UUIDs (36 characters): "register" beside it is not one.
@bp.delete("/template-media/<string(length=36):media_id>")
@require_permission("media:write")
def delete_template(media_id: str) -> ResponseReturnValue:
    """Delete a template that no slot uses."""
    templates.delete_template(media_id, current_actor())
    return "", 204
