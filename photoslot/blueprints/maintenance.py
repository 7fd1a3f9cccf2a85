"""Maintenance: run the media cleanup now, see the storage it manages."""

from __future__ import annotations

from flask import Blueprint, jsonify, request
from flask.typing import ResponseReturnValue

from photoslot.blueprints.guards import current_actor, require_permission
from photoslot.errors import ApiError
from photoslot.services.cleanup import runs as cleanup
from photoslot.services.media import lifetime

bp = Blueprint("maintenance", __name__)


@bp.post("/maintenance/cleanup")
@require_permission("maintenance:write")
def maintenance_cleanup() -> ResponseReturnValue:
    """Run the media cleanup now (the service behind ``flask cleanup-media``); audited.
    The body is empty, ``{}`` or ``{"dry_run": bool}``; anything else is 422."""
    body = request.get_json(silent=True) if request.get_data().strip() else {}
    dry_run = body.get("dry_run", False) if isinstance(body, dict) else None
    if not isinstance(dry_run, bool) or set(body) - {"dry_run"}:
        raise ApiError(422, "validation_error", "body must be {\"dry_run\": true|false} or empty",
                       {"fields": {"dry_run": "must be true or false; no other field"}})
    return jsonify(cleanup.run_cleanup_now(dry_run, current_actor()))


@bp.get("/maintenance/storage")
@require_permission()
def maintenance_storage() -> ResponseReturnValue:
    """Objects and bytes per kind, free disk space of the media root, the last good cleanup
    that deleted for real (a dry run deletes nothing: it would hide that no real run happens)."""
    return jsonify({**lifetime.storage_usage(),
                    "last_cleanup": cleanup.last_run("ok", real_only=True)})
