"""The one JSON error envelope and the handlers that route every error through it."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, g, jsonify
from werkzeug.exceptions import HTTPException

from photoslot.errors import ApiError
from photoslot.extensions import db

log = logging.getLogger(__name__)

_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    410: "gone",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "rate_limited",
    500: "internal_error",
    502: "bad_gateway",
    504: "gateway_timeout",
}


def error_response(
    status: int,
    code: str,
    message: str,
    details: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """Build the JSON error envelope response."""
    response = jsonify({"error": {"code": code, "message": message, "details": details or {}}})
    response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _handle_api_error(exc: ApiError) -> Response:
    return error_response(exc.status, exc.code, exc.message, exc.details, exc.headers)


def _handle_http_exception(exc: HTTPException) -> Response:
    status = exc.code or 500
    # Keep protocol headers such as Allow (405) and Retry-After (429); the body is ours.
    headers = {k: v for k, v in exc.get_headers() if k.lower() != "content-type"}
    code = _HTTP_CODES.get(status, "http_error")
    return error_response(status, code, exc.description or code.replace("_", " "), {}, headers)


def report_unexpected(exc: Exception) -> str | None:
    """Roll the session back and log an unexpected error (a bug); returns the request id."""
    db.session.rollback()
    request_id = g.get("request_id")
    log.exception("unhandled error", extra={"fields": {"request_id": request_id}})
    return request_id


def _handle_unexpected(exc: Exception) -> Response:
    request_id = report_unexpected(exc)
    return error_response(
        500, "internal_error", "internal server error", {"request_id": request_id}
    )


def register_error_handlers(app: Flask) -> None:
    """Route ApiError, every HTTPException and unexpected exceptions to the envelope."""
    app.register_error_handler(ApiError, _handle_api_error)
    app.register_error_handler(HTTPException, _handle_http_exception)
    app.register_error_handler(Exception, _handle_unexpected)
