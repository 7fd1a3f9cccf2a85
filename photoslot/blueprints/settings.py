"""Runtime settings: read them, rotate the ingest password."""

from __future__ import annotations

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue

from photoslot.blueprints import json_object
from photoslot.blueprints.guards import current_actor, require_permission
from photoslot.errors import ApiError
from photoslot.services import settings

bp = Blueprint("settings", __name__)


@bp.get("/settings")
@require_permission()
def get_settings() -> ResponseReturnValue:
    """Settings and ingest-password metadata; never the password or its hash."""
    return jsonify(settings.settings_view())


@bp.put("/settings")
@require_permission("settings:write")
def put_settings() -> ResponseReturnValue:
    """Rotate the ingest password; effective at once in every worker. Only ``ingest_password``
    may and must be sent; 422 lists the bad fields."""
    body = json_object()
    unknown = sorted(set(body) - {"ingest_password"})
    if unknown or "ingest_password" not in body:
        details = {name: "read-only or unknown setting" for name in unknown}
        if "ingest_password" not in body:
            details["ingest_password"] = "required"
        raise ApiError(422, "validation_error", "only ingest_password can be changed",
                       {"fields": details})
    settings.rotate_ingest_password(body["ingest_password"], current_actor())
    return jsonify(settings.settings_view())
