"""Liveness and readiness probes (no authentication: keep them on the private network)."""

from __future__ import annotations

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue

from photoslot.errors import ApiError
from photoslot.services import health

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> ResponseReturnValue:
    """Liveness: the process answers HTTP (no dependency checks)."""
    return jsonify({"status": "ok"})


@bp.get("/readyz")
def readyz() -> ResponseReturnValue:
    """Readiness: 200 ``ok``/``degraded`` (providers), 503 ``not_ready`` when the database or
    the media root fails; every check with its status, latency and message."""
    report = health.readiness()
    if not report.ready:
        raise ApiError(503, "not_ready", "a required check failed: " + ", ".join(
            name for name in health.REQUIRED if report.checks[name].status == "fail"),
            report.as_dict())
    return jsonify(report.as_dict())
