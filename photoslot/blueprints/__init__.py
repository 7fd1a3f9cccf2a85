"""Thin HTTP layers: parse the request, call a service, shape the response."""

from __future__ import annotations

import re
import uuid
from typing import Any

from flask import Flask, Response, g, request

from photoslot import log
from photoslot.blueprints.inputs import nul_fields
from photoslot.errors import ApiError

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


def json_object() -> dict[str, Any]:
    """The request body as a JSON object; 422 ``validation_error`` for anything else, or for
    a string holding a NUL character (``details.fields`` names where)."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ApiError(422, "validation_error", "the body must be a JSON object")
    if bad := nul_fields(body):
        raise ApiError(422, "validation_error", "text may not contain NUL characters",
                       {"fields": bad})
    return body


def register_request_id(app: Flask) -> None:
    """Give every request an id (a sane incoming X-Request-ID is kept), log with it, echo it."""

    @app.before_request
    def assign_request_id() -> None:
        incoming = request.headers.get("X-Request-ID", "")
        g.request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        log.request_id.set(g.request_id)

    @app.after_request
    def echo_request_id(response: Response) -> Response:
        response.headers["X-Request-ID"] = g.get("request_id") or uuid.uuid4().hex
        return response

    @app.teardown_request
    def forget_request_id(_exc: BaseException | None) -> None:
        # A kept-alive connection serves its next request in the same greenlet.
        log.request_id.set(None)
