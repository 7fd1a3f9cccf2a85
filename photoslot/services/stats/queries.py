"""The SQL of the statistics: outcome counts of jobs and rejections per group or hour.

An ingest's outcome is what the booth got: ``done`` (200), ``timeout`` (504), ``provider_error``
(502: the provider failed, or the cleanup closed the job as abandoned), ``error`` (500: the
gateway failed the job, error_code ``internal_error``), ``pending`` (still running) — and
``rejected`` (4xx before any job, counted in ingest_rejection).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, func, select, text

from photoslot.extensions import db
from photoslot.models import IngestRejection, JobHistory
from photoslot.models.rejection import UNKNOWN_KEY
from photoslot.services.stats.percentiles import native_columns, read_native, spreads

JOB_OUTCOMES = ("done", "timeout", "provider_error", "error", "pending")
SORT_MEMORY = "64MB"


@dataclass
class Counts:
    """Jobs by outcome, and the done ones answered within T_sync."""

    done: int = 0
    timeout: int = 0
    provider_error: int = 0
    error: int = 0
    pending: int = 0
    within_t_sync: int = 0

    @property
    def finished(self) -> int:
        return self.done + self.timeout + self.provider_error + self.error

    def add(self, other: Counts) -> None:
        for name in (*JOB_OUTCOMES, "within_t_sync"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


def roomy_sorts() -> None:
    """PostgreSQL: let this transaction sort a window's durations in memory (work_mem defaults to
    4 MB; 100 000 rows would spill to disk)."""
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text(f"SET LOCAL work_mem = '{SORT_MEMORY}'"))


def job_figures(where: Sequence[ColumnElement], key: ColumnElement | None, t_sync_ms: float,
                measures: Mapping[str, ColumnElement]) -> dict[Any, tuple[Counts, dict]]:
    """Counts and duration spreads per ``key`` value (``None`` when ungrouped): on PostgreSQL one
    scan computes both; elsewhere a count query and the portable percentiles."""
    if db.engine.dialect.name == "postgresql":
        return _native_figures(where, key, t_sync_ms, measures)
    counts = job_counts(where, key, t_sync_ms)
    spread = spreads(measures, [*where, JobHistory.status != "pending"], key)
    return {group: (group_counts, spread.get(group, {})) for group, group_counts in counts.items()}


def _native_figures(where: Sequence[ColumnElement], key: ColumnElement | None, t_sync_ms: float,
                    measures: Mapping[str, ColumnElement]) -> dict[Any, tuple[Counts, dict]]:
    status = JobHistory.status
    internal = and_(status == "error", _internal_error())
    conditions = {
        "done": status == "done",
        "timeout": status == "timeout",
        "provider_error": and_(status == "error", ~internal),
        "error": internal,
        "pending": status.not_in(("done", "timeout", "error")),
        "within_t_sync": and_(status == "done", JobHistory.total_ms <= t_sync_ms),
    }
    keys = [key] if key is not None else []
    statement = select(*keys, *(func.count().filter(c) for c in conditions.values()),
                       *native_columns(measures)).where(*where)
    if key is not None:
        statement = statement.group_by(key)
    found = {}
    for row in db.session.execute(statement):
        group, values = (row[0], row[1:]) if key is not None else (None, row)
        counts = Counts(**dict(zip(conditions, values, strict=False)))
        if key is None and not counts.finished + counts.pending:
            continue  # no rows at all
        found[group] = (counts, read_native(values[len(conditions):], measures))
    return found


def job_counts(where: Sequence[ColumnElement], key: ColumnElement | None,
               t_sync_ms: float) -> dict[Any, Counts]:
    """Counts per ``key`` value (one entry under ``None`` when ``key`` is None). One aggregate
    over (key, status, internal error?, within T_sync?), folded here."""
    internal = _internal_error()
    within = JobHistory.total_ms <= t_sync_ms
    keys = [key] if key is not None else []
    statement = (select(*keys, JobHistory.status, internal, within, func.count())
                 .where(*where).group_by(*keys, JobHistory.status, internal, within))
    found: dict[Any, Counts] = {}
    for row in db.session.execute(statement):
        group, (status, is_internal, is_within, count) = (
            (row[0], row[1:]) if key is not None else (None, row))
        counts = found.setdefault(group, Counts())
        outcome = _OUTCOME_OF_STATUS.get(status, "pending")
        if outcome == "provider_error" and is_internal:
            outcome = "error"
        setattr(counts, outcome, getattr(counts, outcome) + count)
        if status == "done" and is_within:
            counts.within_t_sync += count
    return found


def _internal_error() -> ColumnElement[bool]:
    """True or false, never NULL: most failed jobs have a provider's code, some none at all."""
    return func.coalesce(JobHistory.error_code, "") == "internal_error"


_OUTCOME_OF_STATUS = {"done": "done", "timeout": "timeout", "error": "provider_error"}


def rejection_counts(where: Sequence[ColumnElement],
                     key: ColumnElement | None) -> dict[Any, int]:
    """Rejected ingests per ``key`` value; the unknown slot/provider key becomes None."""
    total = func.sum(IngestRejection.count)
    statement = select(*([key] if key is not None else []), total).where(*where)
    if key is not None:
        statement = statement.group_by(key)
    found: dict[Any, int] = {}
    for row in db.session.execute(statement):
        group, value = (row[0], row[1]) if key is not None else (None, row[0])
        if value is not None:
            group = None if group == UNKNOWN_KEY else group
            found[group] = found.get(group, 0) + int(value)
    return found


def hour_of(column: ColumnElement) -> ColumnElement:
    """The start of the UTC hour holding ``column`` (a naive-UTC timestamp), in SQL."""
    if db.engine.dialect.name == "postgresql":
        return func.date_trunc("hour", column)
    return func.strftime("%Y-%m-%d %H:00:00", column)


def hour_start(value: datetime | str) -> datetime:
    """The aware UTC datetime of a value ``hour_of`` produced (a datetime or SQLite's text)."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC)
