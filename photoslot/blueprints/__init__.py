"""Thin HTTP layers: parse the request, call a service, shape the response."""

from __future__ import annotations

from typing import Any

from flask import request

from photoslot.errors import ApiError


def json_object() -> dict[str, Any]:
    """The request body as a JSON object; 422 ``validation_error`` for anything else."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ApiError(422, "validation_error", "the body must be a JSON object")
    return body
