"""Ingest statistics for the admins (``stats:read``)."""

from __future__ import annotations

from flask import Blueprint, jsonify, request
from flask.typing import ResponseReturnValue

from photoslot.blueprints.guards import require_permission
from photoslot.services.stats import ingest_stats

bp = Blueprint("stats", __name__)


@bp.get("/stats")
@require_permission("stats:read")
def stats() -> ResponseReturnValue:
    """Counts, SLA figures, durations per group and per hour, media volume of a time window."""
    return jsonify(ingest_stats(window=request.args.get("window", "24h"),
                                slot=request.args.get("slot") or None,
                                group=request.args.get("group", "slot")))
