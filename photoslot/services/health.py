"""Readiness: can this instance serve ingests now? The database, the media root, the providers.

The database and the media root are required: when either fails the instance is not ready (503,
a load balancer takes it out). The providers are external and shared by every instance, so a
failing provider only makes the instance ``degraded`` (still 200): pulling nodes would not bring
Gemini back. Providers are judged by their configuration and the outcome of their recent calls
in job_history; a probe never calls a provider. See adr/0012-metrics-and-health.md.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import gevent
from sqlalchemy import and_, case, func, or_, select, text
from sqlalchemy.exc import SQLAlchemyError

from photoslot import clock
from photoslot.config import current_config
from photoslot.extensions import db
from photoslot.log import one_line
from photoslot.models import JobHistory, Slot
from photoslot.providers import all_providers
from photoslot.services.media import lifetime, store

#: A check slower than this fails (gevent interrupts a hung connect or pool wait).
CHECK_TIMEOUT_S = 3.0
#: Server-side bound of the database query (PostgreSQL).
STATEMENT_TIMEOUT_MS = 2000
#: Recent provider calls: within this window, at least this many finished, more than half failed.
RECENT_CALLS = timedelta(minutes=15)
MIN_RECENT_CALLS = 3
REQUIRED = ("database", "media")
GATEWAY_FAILURES = ("internal_error", "abandoned")


@dataclass(frozen=True)
class Check:
    """One check's verdict: ``ok``, ``fail`` or ``degraded``, how long it took, why."""

    status: str
    message: str
    latency_ms: float = 0.0
    details: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"status": self.status, "latency_ms": self.latency_ms, "message": self.message,
                **self.details}


@dataclass(frozen=True)
class Readiness:
    """Every check; ``fail`` when a required one fails, ``degraded`` when another is not ok."""

    checks: dict[str, Check]

    @property
    def status(self) -> str:
        if any(self.checks[name].status == "fail" for name in REQUIRED):
            return "fail"
        return "ok" if all(c.status == "ok" for c in self.checks.values()) else "degraded"

    @property
    def ready(self) -> bool:
        return self.status != "fail"

    def as_dict(self) -> dict[str, Any]:
        return {"status": self.status,
                "checks": {name: check.as_dict() for name, check in self.checks.items()}}


def readiness() -> Readiness:
    """Run the database, media and provider checks now (nothing cached)."""
    database = _timed(_check_database)
    media = _timed(_check_media)
    providers = _timed(lambda: _check_providers(database.status == "ok"))
    return Readiness({"database": database, "media": media, "providers": providers})


def _timed(check: Callable[[], Check]) -> Check:
    started = time.monotonic()
    try:
        with gevent.Timeout(CHECK_TIMEOUT_S):
            verdict = check()
    except gevent.Timeout:
        db.session.rollback()
        verdict = Check("fail", f"no answer within {CHECK_TIMEOUT_S:g} s")
    latency = round((time.monotonic() - started) * 1000, 1)
    return Check(verdict.status, verdict.message, latency, verdict.details)


def _check_database() -> Check:
    try:
        with db.engine.connect() as connection:
            if connection.dialect.name == "postgresql":
                connection.execute(text(f"SET LOCAL statement_timeout = {STATEMENT_TIMEOUT_MS}"))
            revision = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except SQLAlchemyError as exc:
        return Check("fail", one_line(exc)[:300])
    return Check("ok", f"reachable, schema at revision {revision}", details={"revision": revision})


def _check_media() -> Check:
    root = store.media_root()
    if not root.is_dir():
        return Check("fail", "PHOTOSLOT_MEDIA_ROOT is missing or not a directory")
    try:
        store.probe_writable()
        disk = lifetime.disk_usage()
    except OSError as exc:
        return Check("fail", f"cannot write in the media root: {exc.strerror or exc}")
    minimum = current_config().min_free_disk_pct
    total = disk["total_bytes"]
    free_pct = round(disk["free_bytes"] / total * 100, 2) if total else 0.0
    details = {"free_bytes": disk["free_bytes"], "total_bytes": disk["total_bytes"],
               "free_pct": free_pct, "min_free_pct": minimum}
    if free_pct < minimum:
        return Check("fail", f"{free_pct:g} % free, below PHOTOSLOT_MIN_FREE_DISK_PCT={minimum:g}",
                     details=details)
    return Check("ok", f"writable, {free_pct:g} % free", details=details)


def _check_providers(database_ok: bool) -> Check:
    drivers = all_providers()
    providers: dict[str, dict[str, Any]] = {
        name: {"configured": driver.is_configured()} for name, driver in sorted(drivers.items())}
    if not database_ok:
        return Check("degraded", "slots and recent calls unknown: the database check failed",
                     details={"providers": providers})
    try:
        in_use, recent = _slots_per_provider(), _recent_calls()
    except SQLAlchemyError as exc:
        db.session.rollback()
        return Check("degraded", f"slots and recent calls unknown: {one_line(exc)[:300]}",
                     details={"providers": providers})
    finally:
        db.session.close()
    problems = []
    for name, info in providers.items():
        finished, failed = recent.get(name, (0, 0))
        info.update(enabled_slots=in_use.get(name, 0), recent_finished=finished,
                    recent_failed=failed)
        if info["enabled_slots"] and not info["configured"]:
            hint = drivers[name].setup_hint
            problems.append(f"{name}: not configured{f' ({hint})' if hint else ''} but used by "
                            f"{info['enabled_slots']} enabled slot(s)")
        elif finished >= MIN_RECENT_CALLS and failed * 2 > finished:
            problems.append(f"{name}: {failed} of the last {finished} calls failed")
    minutes = int(RECENT_CALLS.total_seconds() // 60)
    details = {"providers": providers, "recent_window_s": int(RECENT_CALLS.total_seconds())}
    if problems:
        return Check("degraded", "; ".join(problems), details=details)
    return Check("ok", f"configured where used; recent calls ({minutes} min) mostly succeed",
                 details=details)


def _slots_per_provider() -> dict[str, int]:
    rows = db.session.execute(
        select(Slot.provider, func.count()).where(Slot.enabled.is_(True)).group_by(Slot.provider))
    return {provider: count for provider, count in rows}


def _recent_calls() -> dict[str, tuple[int, int]]:
    """Finished and failed non-test jobs per provider in the recent window; a job the gateway
    itself failed (internal_error, abandoned) is not the provider's failure."""
    provider_failed = or_(JobHistory.status == "timeout", and_(
        JobHistory.status == "error",
        func.coalesce(JobHistory.error_code, "").not_in(GATEWAY_FAILURES)))
    failed = func.sum(case((provider_failed, 1), else_=0))
    rows = db.session.execute(
        select(JobHistory.provider, func.count(), failed)
        .where(JobHistory.started_at >= clock.now() - RECENT_CALLS,
               JobHistory.status != "pending", JobHistory.is_test.is_(False))
        .group_by(JobHistory.provider))
    return {provider: (count, int(failures or 0)) for provider, count, failures in rows}
