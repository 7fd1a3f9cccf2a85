"""flask-jwt-extended hooks: our clock decides a token's lifetime; every failure is a JSON envelope.

Missing, expired, malformed, ``alg:none`` and forged tokens answer 401; a cookie-authenticated
change without the double-submit CSRF header answers 403 ``csrf_failed`` (ADR 0003).
"""

from __future__ import annotations

from typing import Any

from flask import Flask, Response
from flask_jwt_extended.exceptions import CSRFError

from photoslot import clock
from photoslot.errors import error_response
from photoslot.extensions import jwt


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
