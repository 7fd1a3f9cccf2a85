"""Route flask-jwt-extended's failures through the one error envelope (401, never 422)."""

from __future__ import annotations

from typing import Any

from flask import Response

from photoslot.errors import error_response
from photoslot.extensions import jwt


def register_jwt_errors() -> None:
    """Install the JWT loaders; missing, expired, malformed or forged tokens all answer 401."""

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
