"""Unauthenticated endpoints: liveness and public media links."""

from __future__ import annotations

from flask import Blueprint, jsonify, send_file
from flask.typing import ResponseReturnValue

from photoslot.services import media

bp = Blueprint("public", __name__)

# A cached copy must not outlive the object; objects without expiry are cached this long.
_MAX_CACHE_S = 3600


@bp.get("/healthz")
def healthz() -> ResponseReturnValue:
    """Liveness: the process answers HTTP (no dependency checks)."""
    return jsonify({"status": "ok"})


@bp.get("/public/media/<token>")
def media_file(token: str) -> ResponseReturnValue:
    """Serve a media object by its public token (GET and HEAD): 404 unknown, 410 once expired."""
    found = media.load_live_media(token)
    response = send_file(media.file_of(found), mimetype=found.mime, conditional=True, etag=True)
    left = media.seconds_left(found)
    max_age = _MAX_CACHE_S if left is None else min(_MAX_CACHE_S, left)
    response.headers["Cache-Control"] = f"private, max-age={max_age}"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
