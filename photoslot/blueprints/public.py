"""Unauthenticated endpoints: liveness and public media links."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request
from flask.typing import ResponseReturnValue

from photoslot.services.results import public_result

bp = Blueprint("public", __name__)


@bp.get("/healthz")
def healthz() -> ResponseReturnValue:
    """Liveness: the process answers HTTP (no dependency checks)."""
    return jsonify({"status": "ok"})


@bp.get("/public/results/<job_id>")
def result(job_id: str) -> ResponseReturnValue:
    """A job's result image (GET and HEAD); 404 unknown, 410 once expired."""
    found = public_result(job_id)
    response = Response(found.data, mimetype=found.mime)
    response.set_etag(found.etag)
    response.last_modified = found.created_at
    response.expires = found.expires_at
    response.cache_control.public = True
    response.cache_control.max_age = found.max_age
    # Only If-None-Match / If-Modified-Since (304); byte ranges are not offered.
    return response.make_conditional(request, accept_ranges=False)
