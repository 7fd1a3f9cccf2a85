"""Unauthenticated endpoints: public media links (the probes are in health.py)."""

from __future__ import annotations

from flask import Blueprint, Response, send_file
from flask.typing import ResponseReturnValue

from photoslot.models import MediaObject
from photoslot.services.media import lifetime
from photoslot.services.media.lifetime import live_result

bp = Blueprint("public", __name__)


@bp.get("/public/results/<job_id>")
def result(job_id: str) -> ResponseReturnValue:
    """A job's result image (GET and HEAD); 404 unknown, 410 once expired."""
    return _send(live_result(job_id))


@bp.get("/public/media/<token>")
def media_file(token: str) -> ResponseReturnValue:
    """A media object by its public token (GET and HEAD): 404 unknown, 410 once expired."""
    return _send(lifetime.load_live_media(token))


@bp.get("/public/thumbnails/<token>")
def thumbnail(token: str) -> ResponseReturnValue:
    """A 320 px JPEG rendition by its token (GET and HEAD); 404 unknown, 410 expired."""
    return _send(lifetime.load_live_media(token, kind="thumbnail"))


def _send(found: MediaObject) -> Response:
    """Every public file the same way: conditional and ranged, cached no longer than it lives."""
    response = send_file(lifetime.file_of(found), mimetype=found.mime, etag=found.id,
                         last_modified=found.created_at, conditional=True,
                         max_age=lifetime.cache_seconds(found))
    response.cache_control.public = True
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
