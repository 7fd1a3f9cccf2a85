"""Admin login, runtime settings and the audit journal."""

from __future__ import annotations

from flask import Blueprint, jsonify, request
from flask.typing import ResponseReturnValue
from flask_jwt_extended import get_jwt_identity, set_access_cookies

from photoslot.auth import require_permission
from photoslot.blueprints import json_object
from photoslot.errors import ApiError
from photoslot.ratelimits import login_limits
from photoslot.services import audit, auth, settings

bp = Blueprint("settings", __name__)


@bp.post("/login")
@login_limits
def login() -> ResponseReturnValue:
    """Exchange admin credentials for a 24 h JWT (body and HttpOnly cookie + CSRF cookie)."""
    result = auth.login_request(json_object())
    response = jsonify(
        access_token=result.access_token,
        token_type="Bearer",
        expires_in=result.expires_in,
        permissions=result.permissions,
    )
    set_access_cookies(response, result.access_token, max_age=result.expires_in)
    return response


@bp.get("/settings")
@require_permission()
def get_settings() -> ResponseReturnValue:
    """Settings and ingest-password metadata; never the password or its hash."""
    return jsonify(settings.settings_view())


@bp.put("/settings")
@require_permission("settings:write")
def put_settings() -> ResponseReturnValue:
    """Rotate the ingest password; effective at once in every worker."""
    return jsonify(settings.update_settings(json_object(), str(get_jwt_identity())))


@bp.get("/audit")
@require_permission()
def get_audit() -> ResponseReturnValue:
    """The audit journal, newest first, filtered by entity, entity_id and actor."""
    page = audit.query(
        entity=request.args.get("entity") or None,
        entity_id=request.args.get("entity_id") or None,
        actor=request.args.get("actor") or None,
        limit=_int_arg("limit", audit.DEFAULT_PAGE, 1, audit.MAX_PAGE),
        before=_int_arg("before", None, 1, 2**63 - 1),
    )
    return jsonify(items=page.items, next_before=page.next_before)


def _int_arg(name: str, default: int | None, low: int, high: int) -> int | None:
    raw = request.args.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError:
        value = low - 1
    if not low <= value <= high:
        raise ApiError(422, "validation_error", f"'{name}' is out of range",
                       {"fields": {name: f"must be an integer from {low} to {high}"}})
    return value
