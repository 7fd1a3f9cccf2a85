"""The last write of a job — its final status, timings and the input's expiry — within the time
the request has left (ADR 0010).

Only the wait for a pooled connection is bounded (``connect_within``): a timer thrown into a
running statement would leave the connection in an unknown state. A ``done`` job must be written
before the deadline; a failure may wait ``FAILURE_WRITE_WAIT_S`` for a connection whenever it
happens, and if none comes the job stays ``pending`` for the cleanup to close (the booth has its
answer either way).
"""

from __future__ import annotations

import logging
import time
from datetime import datetime
from typing import Any

from sqlalchemy import update

from photoslot import clock
from photoslot.clock import Deadline, DeadlinePassed
from photoslot.errors import ApiError
from photoslot.extensions import db
from photoslot.log import log_event
from photoslot.models import JobHistory, MediaObject

log = logging.getLogger(__name__)

#: How long the final row of a failed job may wait for a connection (it is written at or after
#: the deadline, so the answer comes within T_sync + this + the write itself).
FAILURE_WRITE_WAIT_S = 0.5


def connect_within(deadline: Deadline) -> None:
    """Check out the session's connection, waiting for the pool no longer than ``deadline``;
    DeadlinePassed else."""
    with deadline.bounded():
        db.session.connection()


def finish(job_id: str, input_media_id: str, connect_by: Deadline, **values: Any) -> None:
    """Set the final status and expire the input row in one transaction; DeadlinePassed when no
    connection came by ``connect_by`` (nothing written).

    Only a ``pending`` job is finished: if the cleanup has meanwhile closed it as
    ``error``/``abandoned``, nothing is written and ApiError 502 ``abandoned`` is raised (the
    caller deletes the files it wrote), so the answer agrees with the job row.
    """
    try:
        connect_within(connect_by)
        finished = db.session.execute(
            update(JobHistory)
            .where(JobHistory.id == job_id, JobHistory.status == "pending")
            .values(**values))
        if finished.rowcount == 0:
            db.session.rollback()
            raise _abandoned_meanwhile(job_id, values["provider_ms"], values["total_ms"])
        expire_input(input_media_id, values["finished_at"])
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    finally:
        db.session.close()


def finish_failed(job_id: str, input_media_id: str, **values: Any) -> None:
    """``finish`` for a failed job; without a connection in time it is left to the cleanup."""
    try:
        finish(job_id, input_media_id, Deadline.after(FAILURE_WRITE_WAIT_S), **values)
    except DeadlinePassed:
        log_event(log, "job_left_pending", level=logging.WARNING, job_id=job_id,
                  status=values.get("status"), reason="no database connection in time")


def abandon(job_id: str, input_media_id: str, arrived_mono: float, exc: BaseException) -> None:
    """Best effort after an unexpected exit (killed greenlet, lost database): never leave the
    job pending if the database can still be reached; else the cleanup closes it."""
    log_event(log, "job_abandoned", level=logging.ERROR, job_id=job_id, reason=repr(exc)[:300])
    now = clock.now()
    try:
        db.session.rollback()
        connect_within(Deadline.after(FAILURE_WRITE_WAIT_S))
        db.session.execute(
            update(JobHistory)
            .where(JobHistory.id == job_id, JobHistory.status == "pending")
            .values(status="error", error_code="internal_error", error_message=repr(exc)[:2000],
                    finished_at=now, total_ms=int((time.monotonic() - arrived_mono) * 1000)))
        expire_input(input_media_id, now)
        db.session.commit()
    except Exception:  # the database itself is gone or too slow: cleanup's reconciliation
        log.exception("could not mark the job as failed", extra={"fields": {"job_id": job_id}})
        db.session.rollback()
    finally:
        db.session.close()


def expire_input(input_media_id: str, at: datetime) -> None:
    """The input's link answers 410 from ``at`` on (the job deletes its file); the cleanup
    deletes the expired row later. A provider fetching late learns the photo is gone."""
    db.session.execute(update(MediaObject).where(MediaObject.id == input_media_id)
                       .values(expires_at=at))


def _abandoned_meanwhile(job_id: str, provider_ms: int, total_ms: int) -> ApiError:
    log_event(log, "job_already_abandoned", level=logging.WARNING, job_id=job_id)
    timings = {"provider_ms": provider_ms, "total_ms": total_ms}
    return ApiError(502, "abandoned",
                    "the cleanup closed this job as abandoned before it finished; "
                    "its outcome was discarded",
                    {"job_id": job_id, "timings": timings})
