"""The storage page: media volume by kind, free disk space, the last cleanup run, and the
manual cleanup (as POST /api/maintenance/cleanup): a dry run first, then the real run."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, request
from flask.typing import ResponseReturnValue

from photoslot.blueprints.admin_ui.rendering import page
from photoslot.blueprints.guards import current_actor, require_permission
from photoslot.config import current_config
from photoslot.errors import ApiError
from photoslot.services.cleanup import runs as cleanup
from photoslot.services.media import lifetime

bp = Blueprint("storage", __name__)


@bp.get("/storage")
@require_permission()
def show() -> ResponseReturnValue:
    """Volume, disk and the last cleanup; the cleanup controls need ``maintenance:write``."""
    return page("admin/storage.html", **_context())


@bp.post("/storage/cleanup")
@require_permission("maintenance:write")
def run_cleanup() -> ResponseReturnValue:
    """Run the cleanup now: ``dry_run=true`` lists what would go, ``false`` deletes it. The
    answer is the run's summary (and, for htmx, the refreshed volume and last run)."""
    dry_run = request.form.get("dry_run") != "false"
    status, outcome = 200, None
    try:
        outcome = cleanup.run_cleanup_now(dry_run, current_actor())
    except ApiError as exc:
        if exc.code != "cleanup_running":
            raise
        status = 409  # swapped in place (base.html's htmx config), like a 422
    return page("admin/storage.html", "admin/_cleanup_answer.html", status=status,
                **_context(outcome=outcome, dry_run=dry_run, busy=outcome is None))


def _context(**extra: Any) -> dict[str, Any]:
    """What ``storage.html`` shows; ``extra`` carries a run's ``outcome``."""
    last = cleanup.last_run(None, real_only=True)
    last_ok = last if last is None or last["status"] == "ok" else cleanup.last_run(
        "ok", real_only=True)
    return {"usage": lifetime.storage_usage(), "last": last, "last_ok": last_ok,
            "config_ttl_h": current_config().result_ttl_h,
            "outcome": None, "dry_run": None, "busy": False, **extra}
