"""The one JSON error envelope and the handlers that route every error through it.

``Retry-After`` is sent on 429 and 503 only: a rate limit says when its window frees a slot; an
unreachable database or media store (503) says when to try again (ADR 0013).
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, g, jsonify
from werkzeug.exceptions import HTTPException

from photoslot.database import OUTAGE_ERRORS, is_unavailable
from photoslot.errors import ApiError
from photoslot.extensions import db
from photoslot.log import log_event

log = logging.getLogger(__name__)

#: Seconds a client should wait after ``503 database_unavailable``.
DATABASE_RETRY_AFTER_S = 5

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
    503: "service_unavailable",
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
        if name.lower() == "retry-after" and status not in (429, 503):
            continue
        response.headers[name] = value
    return response


def _handle_api_error(exc: ApiError) -> Response:
    return error_response(exc.status, exc.code, exc.message, exc.details, exc.headers)


def _handle_http_exception(exc: HTTPException) -> Response:
    status = exc.code or 500
    # Keep protocol headers such as Allow (405); the body is ours.
    headers = {k: v for k, v in exc.get_headers() if k.lower() != "content-type"}
    code = _HTTP_CODES.get(status, "http_error")
    return error_response(status, code, exc.description or code.replace("_", " "), {}, headers)


def _handle_database_error(exc: Exception) -> Response:
    if not is_unavailable(exc):
        return _handle_unexpected(exc)
    _rollback()
    log_event(log, "database_unavailable", level=logging.ERROR, request_id=g.get("request_id"),
              error=type(getattr(exc, "orig", None) or exc).__name__,
              reason=str(getattr(exc, "orig", None) or exc).strip()[:300])
    return error_response(503, "database_unavailable",
                          "the database is unreachable or too slow; try again shortly",
                          {"request_id": g.get("request_id")},
                          {"Retry-After": str(DATABASE_RETRY_AFTER_S)})


def report_unexpected(exc: Exception) -> str | None:
    """Roll the session back and log an unexpected error (a bug); returns the request id."""
    _rollback()
    request_id = g.get("request_id")
    log.exception("unhandled error", extra={"fields": {"request_id": request_id}})
    return request_id


def _handle_unexpected(exc: Exception) -> Response:
    request_id = report_unexpected(exc)
    return error_response(
        500, "internal_error", "internal server error", {"request_id": request_id}
    )


def _rollback() -> None:
    """Roll the session back; a connection that is already gone must not turn into a second
    error while the first one is being answered."""
    try:
        db.session.rollback()
    except Exception:  # the connection is gone: the pool discards it
        log.warning("rollback after an error failed", exc_info=True)


def register_error_handlers(app: Flask) -> None:
    """Route ApiError, every HTTPException, database outages and unexpected exceptions to
    the envelope."""
    app.register_error_handler(ApiError, _handle_api_error)
    app.register_error_handler(HTTPException, _handle_http_exception)
    for outage in OUTAGE_ERRORS:
        app.register_error_handler(outage, _handle_database_error)
    app.register_error_handler(Exception, _handle_unexpected)
