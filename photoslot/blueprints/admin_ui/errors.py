"""How the admin UI answers failures: in Russian HTML instead of the API's JSON envelope.

A missing, expired or invalid session sends the admin to the sign-in page (htmx requests through
``HX-Redirect``, which htmx follows whatever the status); everything else is an error page, or for
htmx a fragment that ``base.html``'s htmx config swaps into the ``#flash`` region.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, redirect, request, url_for
from flask_jwt_extended.exceptions import CSRFError, JWTExtendedException
from jwt.exceptions import PyJWTError
from werkzeug.exceptions import HTTPException

from photoslot.blueprints.admin_ui.rendering import is_htmx, page
from photoslot.blueprints.errors import report_unexpected
from photoslot.errors import ApiError


def to_sign_in(reason: str | None = None) -> Response:
    """Send the browser to the sign-in page, then back to this page (GET) once signed in."""
    back = request.full_path.rstrip("?") if request.method == "GET" and not is_htmx() else None
    target = url_for("admin_ui.auth.login_form", reason=reason, next=back)
    if is_htmx():
        return Response(status=401, headers={"HX-Redirect": target})
    return redirect(target, 303)


def error_page(status: int, code: str, message: str = "",
               details: dict[str, Any] | None = None) -> Response:
    """The error page, or for htmx the fragment for ``#flash``."""
    return page("admin/error.html", "admin/_error.html", status=status, code=code,
                message=message, details=details or {})


def register(bp: Blueprint) -> None:
    """Install the UI's handlers; they take precedence over the app's JSON ones for UI views."""

    @bp.errorhandler(JWTExtendedException)
    @bp.errorhandler(PyJWTError)
    def session_missing(exc: Exception) -> Response:
        if isinstance(exc, CSRFError):
            return error_page(403, "csrf_failed", str(exc))
        had_session = current_app.config["JWT_ACCESS_COOKIE_NAME"] in request.cookies
        return to_sign_in("expired" if had_session else None)

    @bp.errorhandler(ApiError)
    def api_error(exc: ApiError) -> Response:
        return error_page(exc.status, exc.code, exc.message, exc.details)

    @bp.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Response:
        return error_page(exc.code or 500, f"http_{exc.code}", exc.description or "")

    @bp.errorhandler(Exception)
    def unexpected(exc: Exception) -> Response:
        request_id = report_unexpected(exc)
        return error_page(500, "internal_error", "", {"request_id": request_id})
