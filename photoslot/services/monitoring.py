"""The figures ``/metrics`` reads at scrape time: media volume, disk, cleanup, providers, readiness.

All from database aggregates, ``statvfs`` and the configuration — never a walk of the media tree.
Each part is read on its own: a database outage leaves the database figures out (and readiness
says why) instead of failing the scrape.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

import gevent
from sqlalchemy.exc import SQLAlchemyError

from photoslot.config import current_config
from photoslot.extensions import db
from photoslot.log import log_event, one_line
from photoslot.providers import all_providers
from photoslot.services import health
from photoslot.services.cleanup import runs
from photoslot.services.media import lifetime

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ScrapeFigures:
    """One scrape's values; ``None`` where the source could not be read."""

    media: dict[str, dict[str, int]] | None  # kind -> {"objects", "bytes"}
    disk: dict[str, int] | None  # total_bytes, used_bytes, free_bytes
    cleanup_last_success: datetime | None  # the latest successful real run
    cleanup_deleted: dict[str, int] | None  # kind -> objects, over every real run
    providers_configured: dict[str, bool]
    ready: dict[str, bool]  # check -> passing
    t_sync_s: float


def scrape_figures() -> ScrapeFigures:
    """Read every scrape-time figure now."""
    readiness = health.readiness()
    database_ok = readiness.checks["database"].status == "ok"
    media = cleanup_last = cleanup_deleted = None
    if database_ok:
        try:
            with gevent.Timeout(health.CHECK_TIMEOUT_S):
                media = lifetime.media_volume(count_expired=False)["kinds"]
                cleanup_last = runs.last_success_at()
                cleanup_deleted = runs.deleted_objects()
        except (SQLAlchemyError, gevent.Timeout) as exc:  # left out of this scrape
            db.session.rollback()
            media = cleanup_last = cleanup_deleted = None
            log_event(log, "scrape_figures_failed", logging.WARNING, error=one_line(exc)[:300])
        finally:
            db.session.close()
    try:
        disk = lifetime.disk_usage()
    except OSError:
        disk = None
    return ScrapeFigures(
        media=media,
        disk=disk,
        cleanup_last_success=cleanup_last,
        cleanup_deleted=cleanup_deleted,
        providers_configured={name: driver.is_configured()
                              for name, driver in sorted(all_providers().items())},
        ready={name: check.status == "ok" for name, check in readiness.checks.items()},
        t_sync_s=current_config().t_sync_response_s,
    )
