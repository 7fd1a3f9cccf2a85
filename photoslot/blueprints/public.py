"""Unauthenticated endpoints: liveness and public media links."""

from __future__ import annotations

from flask import Blueprint, jsonify, send_file
from flask.typing import ResponseReturnValue

from photoslot.services import thumbnails

bp = Blueprint("public", __name__)


@bp.get("/healthz")
def healthz() -> ResponseReturnValue:
    """Liveness: the process answers HTTP (no dependency checks)."""
    return jsonify({"status": "ok"})


# --- Thumbnails (issue E) -------------------------------------------------------------------


@bp.get("/public/thumbnails/<token>")
def thumbnail(token: str) -> ResponseReturnValue:
    """A 320 px JPEG rendition by its token (GET and HEAD); 404 unknown, 410 expired."""
    media, path = thumbnails.servable_thumbnail(token)
    return send_file(path, mimetype=media.mime, etag=media.token, conditional=True,
                     max_age=thumbnails.cache_seconds(media))
