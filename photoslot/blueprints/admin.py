"""Admin JSON API: slots, providers, template media, maintenance."""

from __future__ import annotations

from flask import Blueprint, jsonify, request
from flask.typing import ResponseReturnValue

from photoslot.auth import require_permission
from photoslot.errors import ApiError
from photoslot.services import audit, cleanup, media

bp = Blueprint("admin", __name__)


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
