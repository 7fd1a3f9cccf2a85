"""Unauthenticated endpoints: liveness and public media links."""

from __future__ import annotations

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue

bp = Blueprint("public", __name__)


@bp.get("/healthz")
def healthz() -> ResponseReturnValue:
    """Liveness: the process answers HTTP (no dependency checks)."""
    return jsonify({"status": "ok"})
