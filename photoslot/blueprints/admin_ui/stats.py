"""The statistics page: the same figures as GET /api/stats (per slot, per booth, per hour) with
the SLA targets of the seeds, charts, and the readiness summary of /readyz."""

from __future__ import annotations

from flask import Blueprint, request
from flask.typing import ResponseReturnValue

from photoslot.blueprints.admin_ui.charts import OUTCOMES, p95_chart, requests_chart
from photoslot.blueprints.admin_ui.rendering import is_htmx, page
from photoslot.blueprints.guards import current_permissions, require_permission
from photoslot.config import current_config
from photoslot.services import health
from photoslot.services.stats import ingest_overview

bp = Blueprint("stats", __name__)

#: The windows the page offers, with their Russian names (the API also has 30 d).
WINDOWS = {"1h": "1 час", "24h": "24 часа", "7d": "7 дней"}


@bp.get("/stats")
@require_permission()
def show() -> ResponseReturnValue:
    """The statistics of the chosen window; without ``stats:read`` a note instead of figures;
    htmx (switching the window) gets the figures alone."""
    window = request.args.get("window", "24h")
    if window not in WINDOWS:
        window = "24h"
    readiness = None if is_htmx() else health.readiness().as_dict()  # outside the swapped part
    stats = charts = None
    if "stats:read" in current_permissions():
        stats = ingest_overview(window)
        charts = {"requests": requests_chart(stats["hourly"]),
                  "p95": p95_chart(stats["hourly"], stats["t_sync_s"])}
    return page("admin/stats.html", "admin/_stats_body.html", window=window, windows=WINDOWS,
                stats=stats, charts=charts, outcomes=OUTCOMES, readiness=readiness,
                metrics_token_set=current_config().metrics_token is not None)
