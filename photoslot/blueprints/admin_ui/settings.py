"""The settings page: rotate the ingest password (as PUT /api/settings), the providers'
configuration with a live check (as ``flask providers check --live``), and the limits that
only the environment changes, each with its variable."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, request
from flask.typing import ResponseReturnValue

from photoslot.blueprints.admin_ui.rendering import is_htmx, page
from photoslot.blueprints.guards import current_actor, require_permission
from photoslot.errors import ApiError
from photoslot.services import settings
from photoslot.services.provider_checks import LIVE_CHECK_SECONDS, live_check, provider_statuses

bp = Blueprint("settings", __name__)


@bp.get("/settings")
@require_permission()
def show() -> ResponseReturnValue:
    """The settings page; read-only parts for an admin without ``settings:write``."""
    return _page()


@bp.post("/settings/ingest-password")
@require_permission("settings:write")
def rotate() -> ResponseReturnValue:
    """Set a new ingest password, typed twice; 422 with the reasons beside the fields."""
    password = request.form.get("ingest_password", "")
    if password != request.form.get("ingest_password_confirm", ""):
        return _password_answer({"ingest_password_confirm": "mismatch"}, status=422)
    try:
        settings.rotate_ingest_password(password, current_actor())
    except ApiError as exc:
        if exc.status != 422:
            raise
        return _password_answer(exc.details.get("fields", {}), status=422)
    return _password_answer({}, rotated=True)


@bp.post("/settings/providers/check")
@require_permission()
def check_providers() -> ResponseReturnValue:
    """One minimal real call to each configured provider (read-only: any admin may ask)."""
    checks = {check.status.name: check for check in live_check()}
    return page("admin/settings.html", "admin/_providers.html", **_context(live=checks))


def _password_answer(errors: dict[str, str], status: int = 200,
                     rotated: bool = False) -> ResponseReturnValue:
    """The password form (and, out of band, the last-change line) for htmx, else the page."""
    if is_htmx():
        return page("admin/settings.html", "admin/_password_answer.html", status=status,
                    **_context(errors=errors, rotated=rotated))
    return _page(status=status, errors=errors, rotated=rotated)


def _page(status: int = 200, **extra: Any) -> ResponseReturnValue:
    return page("admin/settings.html", status=status, **_context(**extra))


def _context(**extra: Any) -> dict[str, Any]:
    """What ``settings.html`` shows; ``extra`` sets ``errors``, ``rotated`` or ``live``."""
    view = settings.settings_view()
    return {
        "ingest_password": view["ingest_password"],
        "limits": view,
        "providers": provider_statuses(),
        "min_length": settings.MIN_INGEST_PASSWORD_LENGTH,
        "max_length": settings.MAX_INGEST_PASSWORD_LENGTH,
        "errors": {},
        "rotated": False,
        "live": None,
        "live_seconds": LIVE_CHECK_SECONDS,
        **extra,
    }
