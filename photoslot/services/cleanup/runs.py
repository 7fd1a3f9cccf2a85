"""The media cleanup: expired media, orphans both ways, abandoned jobs — one run at a time.

``flask cleanup-media`` (cron) calls ``run_cleanup``; ``POST /api/maintenance/cleanup`` calls
``run_cleanup_now``, the same run with the API's validation and error mapping.
Every run, including a busy one, leaves a ``cleanup_run`` row for "last successful cleanup" and
one ``cleanup_run`` log line with its status, ``dry_run`` and summary.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, false, func, select, update
from sqlalchemy.exc import SQLAlchemyError

from photoslot import clock
from photoslot.clock import iso
from photoslot.errors import ApiError
from photoslot.extensions import db
from photoslot.log import log_event, one_line
from photoslot.models import MEDIA_KINDS, CleanupRun
from photoslot.services import audit
from photoslot.services.cleanup.lock import cleanup_lock
from photoslot.services.cleanup.sweeps import Sweep, empty_summary

log = logging.getLogger(__name__)

BATCH_SIZE = 1000


@dataclass(frozen=True)
class CleanupOutcome:
    """What a run did: status ``ok`` or ``busy`` (another run held the lock), and its summary."""

    status: str
    run_id: int | None
    summary: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        return {"status": self.status, "run_id": self.run_id, "summary": self.summary}


class CleanupFailed(Exception):
    """A run stopped on an error; it is recorded (when the database allows) and logged."""

    def __init__(self, message: str, run_id: int | None = None):
        super().__init__(message)
        self.run_id = run_id


def run_cleanup(
    *,
    dry_run: bool = False,
    actor: audit.Actor = audit.SYSTEM,
    audited: bool = False,
    batch_size: int = BATCH_SIZE,
) -> CleanupOutcome:
    """Run one cleanup now; ``busy`` if another holds the lock; CleanupFailed on error."""
    try:
        with cleanup_lock() as acquired:
            if not acquired:
                return _record_busy(actor, dry_run)
            return _run_locked(dry_run, actor, audited, batch_size)
    except (SQLAlchemyError, OSError) as exc:
        db.session.rollback()
        _log_run("error", None, actor, empty_summary(dry_run), error=one_line(exc))
        raise CleanupFailed(one_line(exc)) from exc


def run_cleanup_now(dry_run: bool, actor: audit.Actor) -> dict[str, Any]:
    """The manual cleanup (``POST /api/maintenance/cleanup``), audited with ``actor``: ApiError
    409 while another run holds the lock, 500 when the run fails; otherwise the outcome."""
    try:
        outcome = run_cleanup(dry_run=dry_run, actor=actor, audited=True)
    except CleanupFailed as exc:
        raise ApiError(500, "cleanup_failed", str(exc), {"run_id": exc.run_id}) from exc
    if outcome.status == "busy":
        raise ApiError(409, "cleanup_running", "another cleanup is running; try again later",
                       {"run_id": outcome.run_id})
    return outcome.as_dict()


def _run_locked(dry_run: bool, actor: audit.Actor, audited: bool,
                batch_size: int) -> CleanupOutcome:
    started = time.monotonic()
    run = _start_run(actor, dry_run)
    sweep = Sweep(clock.now(), dry_run, batch_size)
    try:
        sweep.reconcile_jobs()
        sweep.delete_expired()
        sweep.remove_rows_without_files()
        sweep.delete_orphan_files()
    except Exception as exc:
        db.session.rollback()
        sweep.summary["duration_s"] = round(time.monotonic() - started, 3)
        _finish(run.id, "error", sweep.summary, actor, audited, error=one_line(exc))
        _log_run("error", run.id, actor, sweep.summary, error=one_line(exc))
        raise CleanupFailed(one_line(exc), run.id) from exc
    sweep.summary["duration_s"] = round(time.monotonic() - started, 3)
    _finish(run.id, "ok", sweep.summary, actor, audited)
    _log_run("ok", run.id, actor, sweep.summary)
    return CleanupOutcome("ok", run.id, sweep.summary)


def _start_run(actor: audit.Actor, dry_run: bool) -> CleanupRun:
    now = clock.now()
    # We hold the lock, so a row still "running" belongs to a run whose process died.
    db.session.execute(
        update(CleanupRun)
        .where(CleanupRun.status == "running")
        .values(status="error", finished_at=now, error="interrupted: the process ended mid-run")
        .execution_options(synchronize_session=False)
    )
    run = CleanupRun(started_at=now, status="running", actor=actor.name,
                     summary=empty_summary(dry_run))
    db.session.add(run)
    db.session.commit()
    return run


def _finish(
    run_id: int,
    status: str,
    summary: dict[str, Any],
    actor: audit.Actor,
    audited: bool,
    error: str | None = None,
) -> None:
    run = db.session.get(CleanupRun, run_id)
    run.status, run.summary, run.error, run.finished_at = status, summary, error, clock.now()
    if audited:
        # The journal's one shape, {field: [before, after]}: a run has no "before".
        changes = audit.diff({}, {"status": status, "dry_run": summary["dry_run"],
                                  "summary": summary})
        audit.record("maintenance.cleanup", "cleanup_run", str(run_id), changes, actor)
    db.session.commit()


def _record_busy(actor: audit.Actor, dry_run: bool) -> CleanupOutcome:
    now = clock.now()
    run = CleanupRun(
        started_at=now, finished_at=now, status="busy", actor=actor.name,
        summary=empty_summary(dry_run)
    )
    db.session.add(run)
    db.session.commit()
    _log_run("busy", run.id, actor, run.summary)
    return CleanupOutcome("busy", run.id, run.summary)


def _log_run(status: str, run_id: int | None, actor: audit.Actor, summary: dict[str, Any],
             error: str | None = None) -> None:
    """The one log line of a run: status, whether it was a dry run, and its whole summary."""
    level = logging.ERROR if status == "error" else logging.INFO
    extra = {} if error is None else {"error": error}
    log_event(log, "cleanup_run", level, run_id=run_id, status=status, actor=actor.name,
              **summary, **extra)


def last_success_at() -> datetime | None:
    """When the latest successful real cleanup finished (a dry run deletes nothing: never)."""
    return db.session.scalar(
        select(func.max(CleanupRun.finished_at))
        .where(CleanupRun.status == "ok", _real_run()))


def deleted_objects() -> dict[str, int]:
    """Objects deleted per kind by every real run on record (ok or stopped by an error)."""
    totals = db.session.execute(select(*(
        func.coalesce(func.sum(CleanupRun.summary[("deleted", kind, "objects")].as_integer()), 0)
        for kind in MEDIA_KINDS)).where(_real_run())).one()
    return {kind: int(total) for kind, total in zip(MEDIA_KINDS, totals, strict=True)}


def _real_run() -> ColumnElement[bool]:
    return CleanupRun.summary["dry_run"].as_boolean() == false()


def last_run(status: str | None = "ok", real_only: bool = False) -> dict[str, Any] | None:
    """The latest finished run (of ``status``, default successful ones; with ``real_only`` no
    dry run) for monitoring, or None."""
    query = select(CleanupRun).where(CleanupRun.finished_at.is_not(None))
    if status is not None:
        query = query.where(CleanupRun.status == status)
    if real_only:
        query = query.where(_real_run())
    run = db.session.scalar(query.order_by(CleanupRun.finished_at.desc()).limit(1))
    if run is None:
        return None
    return {
        "id": run.id,
        "status": run.status,
        "actor": run.actor,
        "started_at": iso(run.started_at),
        "finished_at": iso(run.finished_at),
        "summary": run.summary,
        **({"error": run.error} if run.error else {}),
    }
