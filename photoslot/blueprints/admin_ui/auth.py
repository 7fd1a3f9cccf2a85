"""Sign-in and sign-out of the admin UI: the API's login service and token, as cookies.

The sign-in form is a plain form (no htmx): success redirects (303) to the page asked for; a
wrong password re-renders the form with 401. The login service counts every attempt (the same
counters as POST /api/login); past the limit the form says how long to wait (429).
"""

from __future__ import annotations

import logging

from flask import Blueprint, Response, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_jwt_extended import (
    get_jwt_identity,
    set_access_cookies,
    unset_jwt_cookies,
    verify_jwt_in_request,
)
from flask_jwt_extended.exceptions import CSRFError, JWTExtendedException
from jwt.exceptions import PyJWTError

from photoslot.blueprints.admin_ui.errors import error_page
from photoslot.blueprints.admin_ui.rendering import page
from photoslot.blueprints.guards import TOKEN_LIFETIME_S, current_actor, issue_token
from photoslot.errors import ApiError
from photoslot.log import log_event
from photoslot.services import auth

log = logging.getLogger(__name__)
bp = Blueprint("auth", __name__)


def safe_next(value: str | None) -> str:
    """Where to go after signing in: a path inside the admin UI, else the dashboard."""
    if value and value.startswith("/admin") and not value.startswith("//"):
        return value
    return url_for("admin_ui.dashboard.index")


def login_page(status: int = 200, error: str | None = None, wait_s: int | None = None,
               username: str = "") -> Response:
    """The sign-in form with an optional error (``invalid_credentials``, ``validation_error``,
    ``rate_limited`` with ``wait_s``) and the reason the admin was sent here."""
    return page("admin/login.html", status=status, error=error, wait_s=wait_s,
                username=username, reason=request.args.get("reason"),
                next=safe_next(request.values.get("next")))


@bp.get("/login")
def login_form() -> ResponseReturnValue:
    """The sign-in form; an admin who is already signed in goes straight on."""
    if _signed_in_admin():
        return redirect(safe_next(request.args.get("next")), 303)
    return login_page()


@bp.post("/login")
def login() -> ResponseReturnValue:
    """Check the credentials with the API's service; set the JWT and CSRF cookies."""
    username = request.form.get("username", "").strip()
    password = request.form.get("password", "")
    try:
        admin = auth.login(username, password, current_actor())
    except ApiError as exc:  # 422, 401, or 429/503 saying how long to wait
        response = login_page(exc.status, exc.code, exc.details.get("retry_after_s"),
                              username=username)
        response.headers.update(exc.headers)
        return response
    response = redirect(safe_next(request.form.get("next")), 303)
    set_access_cookies(response, issue_token(admin.name, admin.permissions),
                       max_age=TOKEN_LIFETIME_S)
    return response


@bp.post("/logout")
def logout() -> ResponseReturnValue:
    """Clear the session cookies. A live session must send its CSRF token (so no other site can
    sign the admin out); an expired one is cleared without it."""
    try:
        verify_jwt_in_request()
        name = get_jwt_identity()
    except CSRFError as exc:
        return error_page(403, "csrf_failed", str(exc))
    except (JWTExtendedException, PyJWTError):
        name = None
    response = redirect(url_for("admin_ui.auth.login_form", reason="signed_out"), 303)
    unset_jwt_cookies(response)
    log_event(log, "logout", username=name)
    return response


def _signed_in_admin() -> str | None:
    """The admin of a valid session cookie, or None (no cookie, expired, invalid)."""
    try:
        verify_jwt_in_request(optional=True)
    except (JWTExtendedException, PyJWTError):
        return None
    return get_jwt_identity()
