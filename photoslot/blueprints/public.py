"""Unauthenticated endpoints: liveness and public media links."""

from __future__ import annotations

from flask import Blueprint, jsonify, send_file
from flask.typing import ResponseReturnValue

from photoslot.services import media
from photoslot.services.results import live_result

bp = Blueprint("public", __name__)


@bp.get("/healthz")
def healthz() -> ResponseReturnValue:
    """Liveness: the process answers HTTP (no dependency checks)."""
    return jsonify({"status": "ok"})


@bp.get("/public/results/<job_id>")
def result(job_id: str) -> ResponseReturnValue:
    """A job's result image (GET and HEAD); 404 unknown, 410 once expired."""
    found = live_result(job_id)
    response = send_file(media.file_of(found), mimetype=found.mime, etag=found.id,
                         last_modified=found.created_at, conditional=True,
                         max_age=media.cache_seconds(found))
    response.cache_control.public = True
    return response


@bp.get("/public/media/<token>")
def media_file(token: str) -> ResponseReturnValue:
    """Serve a media object by its public token (GET and HEAD): 404 unknown, 410 once expired."""
    found = media.load_live_media(token)
    response = send_file(media.file_of(found), mimetype=found.mime, conditional=True, etag=True)
    response.headers["Cache-Control"] = f"private, max-age={media.cache_seconds(found)}"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.get("/public/thumbnails/<token>")
def thumbnail(token: str) -> ResponseReturnValue:
    """A 320 px JPEG rendition by its token (GET and HEAD); 404 unknown, 410 expired."""
    found = media.load_live_media(token, kind="thumbnail")
    return send_file(media.file_of(found), mimetype=found.mime, etag=found.token,
                     conditional=True, max_age=media.cache_seconds(found))
