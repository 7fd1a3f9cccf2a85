"""Who is asking: admin tokens (minted, verified against our clock, failures as the envelope),
the permission decorator, and the ``Actor`` a request acts as.

Missing, expired, malformed, ``alg:none`` and forged tokens answer 401; a cookie-authenticated
change without the double-submit CSRF header answers 403 ``csrf_failed`` (ADR 0003).

A token names its admin and the permissions granted at sign-in; on every request they are checked
against the running configuration (PHOTOSLOT_ADMINS): an admin removed from it gets 401
``admin_not_configured``, and an admin may do only what both the token and the configuration
grant — narrowed in the configuration, 403 for what was taken away (ADR 0013).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any

from flask import Flask, Response, g, request
from flask_jwt_extended import (
    create_access_token,
    current_user,
    get_jwt,
    get_jwt_identity,
    verify_jwt_in_request,
)
from flask_jwt_extended.exceptions import CSRFError

from photoslot import clock
from photoslot.blueprints.errors import error_response
from photoslot.config import ACCESS_TOKEN_LIFETIME, AdminAccount, current_config
from photoslot.errors import ApiError
from photoslot.extensions import jwt
from photoslot.services.audit import ANONYMOUS_NAME, Actor

#: How long an access token is valid, in seconds (the same constant configures flask-jwt-extended).
TOKEN_LIFETIME_S = int(ACCESS_TOKEN_LIFETIME.total_seconds())


def issue_token(name: str, permissions: Iterable[str]) -> str:
    """Mint an access token for admin ``name`` whose iat/nbf/exp come from ``clock.now()``."""
    now = int(clock.now().timestamp())
    # Additional claims override flask-jwt-extended's wall-clock iat/nbf/exp (tokens.py update()).
    claims = {
        "permissions": sorted(permissions),
        "iat": now,
        "nbf": now,
        "exp": now + TOKEN_LIFETIME_S,
    }
    return create_access_token(identity=name, additional_claims=claims)


def require_permission(permission: str | None = None) -> Callable:
    """Decorate a view: a valid JWT of an admin still configured is required, and, if given,
    ``permission`` granted both by the token and by the current configuration."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            verify_jwt_in_request()  # loads current_user from the Config (admin_of_token)
            if permission and permission not in current_permissions():
                raise ApiError(
                    403,
                    "forbidden",
                    f"this action needs the '{permission}' permission",
                    {"required": permission, "admin": current_user.name},
                )
            return view(*args, **kwargs)

        return wrapper

    return decorator


def current_permissions() -> frozenset[str]:
    """What the admin of this request's verified token may do now: the token's permissions that
    the configuration still grants (the API's checks and the UI's read-only controls ask the
    same question)."""
    return effective_permissions(current_user, get_jwt())


def effective_permissions(admin: AdminAccount, claims: dict[str, Any]) -> frozenset[str]:
    """What ``admin`` may do now: the token's permissions that the configuration still grants."""
    granted = claims.get("permissions")
    if not isinstance(granted, list):
        return frozenset()
    return admin.permissions & frozenset(p for p in granted if isinstance(p, str))


def current_actor() -> Actor:
    """The signed-in admin of this request (``anonymous`` before sign-in), with where from."""
    try:
        name = str(get_jwt_identity() or ANONYMOUS_NAME)
    except RuntimeError:  # no token was verified on this request
        name = ANONYMOUS_NAME
    return Actor(name, request.remote_addr, g.get("request_id"))


def token_lifetime_problem(payload: dict[str, Any]) -> str | None:
    """Why ``payload`` is outside its lifetime by ``clock.now()`` (None when it is valid now)."""
    now = clock.now().timestamp()
    exp, nbf = payload.get("exp"), payload.get("nbf", payload.get("iat"))
    if not isinstance(exp, int | float):
        return "missing_exp"
    if now >= exp:
        return "expired"
    if isinstance(nbf, int | float) and now < nbf:
        return "not_yet_valid"
    return None


def register_jwt_errors(app: Flask) -> None:
    """Install the JWT loaders and the CSRF handler on ``app``."""

    @jwt.user_lookup_loader
    def admin_of_token(_header: dict[str, Any], payload: dict[str, Any]) -> AdminAccount | None:
        return current_config().admins.get(str(payload.get("sub")))

    @jwt.user_lookup_error_loader
    def admin_not_configured(_header: dict[str, Any], payload: dict[str, Any]) -> Response:
        return error_response(401, "admin_not_configured",
                              "this admin is no longer configured; sign in again",
                              {"admin": str(payload.get("sub"))[:64]})

    @jwt.token_verification_loader
    def within_lifetime(_header: dict[str, Any], payload: dict[str, Any]) -> bool:
        return token_lifetime_problem(payload) is None

    @jwt.token_verification_failed_loader
    def outside_lifetime(_header: dict[str, Any], payload: dict[str, Any]) -> Response:
        problem = token_lifetime_problem(payload)
        if problem == "expired":
            return error_response(401, "token_expired", "the token has expired")
        return error_response(401, "invalid_token", "the token is invalid", {"reason": problem})

    @jwt.unauthorized_loader
    def missing_token(reason: str) -> Response:
        return error_response(401, "unauthorized", "authentication required", {"reason": reason})

    @jwt.invalid_token_loader
    def invalid_token(reason: str) -> Response:
        return error_response(401, "invalid_token", "the token is invalid", {"reason": reason})

    @jwt.expired_token_loader
    def expired_token(_header: dict[str, Any], _payload: dict[str, Any]) -> Response:
        return error_response(401, "token_expired", "the token has expired")

    @jwt.revoked_token_loader
    def revoked_token(_header: dict[str, Any], _payload: dict[str, Any]) -> Response:
        return error_response(401, "token_revoked", "the token has been revoked")

    @jwt.needs_fresh_token_loader
    def stale_token(_header: dict[str, Any], _payload: dict[str, Any]) -> Response:
        return error_response(401, "fresh_token_required", "a fresh login is required")

    # Registered after jwt.init_app, so it replaces the extension's own CSRFError handler.
    @app.errorhandler(CSRFError)
    def csrf_failed(exc: CSRFError) -> Response:
        return error_response(
            403,
            "csrf_failed",
            "a cookie-authenticated change needs the X-CSRF-TOKEN header from the csrf cookie",
            {"reason": str(exc)},
        )
