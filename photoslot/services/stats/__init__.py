"""Ingest statistics over job_history (and ingest_rejection): counts, SLA figures, durations.

Semantics (README "Statistics", adr/0009):
- the window is the last 1 h / 24 h / 7 d / 30 d before now, by arrival time; admin trial runs
  (``is_test``) never count;
- ``answered within T_sync``: a ``done`` job whose ``total_ms`` is at most T_sync (inclusive),
  T_sync being the current PHOTOSLOT_T_SYNC_RESPONSE_S; its share and the share of
  timeout + provider_error + error are taken over *finished* jobs (rejections, refused before
  the provider, and still-running jobs are left out — as in the alert rules);
- a target is met at exactly its value: 95 % within T_sync meets ≥ 95 %, 5 % failed meets ≤ 5 %;
- p50/p95/max follow ``percentile_cont``; gateway time is total minus provider time.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement

from photoslot import clock
from photoslot.clock import iso
from photoslot.config import current_config
from photoslot.errors import ApiError
from photoslot.models import SLOT_IDS, IngestRejection, JobHistory
from photoslot.providers import all_providers
from photoslot.services.media.lifetime import media_volume
from photoslot.services.stats.percentiles import Spread, empty_spread
from photoslot.services.stats.queries import (
    Counts,
    hour_of,
    hour_start,
    job_figures,
    rejection_counts,
    roomy_sorts,
)

WINDOWS = {"1h": timedelta(hours=1), "24h": timedelta(hours=24), "7d": timedelta(days=7),
           "30d": timedelta(days=30)}
GROUPS = ("slot", "provider", "booth")
#: The seeds' business targets in percent, compared on whole numbers (no float at the edge).
WITHIN_T_SYNC_TARGET_PCT = 95
FAILED_TARGET_PCT = 5
MEASURES = {
    "total_ms": JobHistory.total_ms,
    "provider_ms": JobHistory.provider_ms,
    "gateway_ms": JobHistory.total_ms - JobHistory.provider_ms,
}
HOUR = timedelta(hours=1)


def ingest_stats(window: str = "24h", slot: str | None = None,
                 group: str = "slot") -> dict[str, Any]:
    """The statistics of ``window``, optionally of one slot, grouped by slot, provider or booth;
    ApiError 422 ``validation_error`` naming every bad parameter."""
    _validate(window, slot, group)
    scope = _Scope(window, slot)
    return {**scope.head(), "slot": slot, "group": group, "totals": scope.totals(),
            "groups": _groups(group, slot, scope.jobs, scope.rejections, scope.t_sync_ms),
            "hourly": scope.hourly(), "media": media_volume()}


def ingest_overview(window: str = "24h") -> dict[str, Any]:
    """The admin UI's statistics page in one call: the totals, the figures per slot and per
    booth, and the hourly series of ``window`` (the same figures as ``ingest_stats``)."""
    _validate(window, None, "slot")
    scope = _Scope(window, None)
    by_slot = _groups("slot", None, scope.jobs, scope.rejections, scope.t_sync_ms)
    by_booth = _groups("booth", None, scope.jobs, scope.rejections, scope.t_sync_ms)
    totals = scope.totals()
    for figures in (totals, *by_slot, *by_booth):
        figures["timeout_share"] = _share(figures["timeout"], figures["finished"])
    return {**scope.head(), "totals": totals, "hourly": scope.hourly(),
            "by_slot": by_slot, "by_booth": by_booth}


def _share(part: int, whole: int) -> float | None:
    """``part`` of ``whole`` as a fraction (4 decimals), None without a whole."""
    return round(part / whole, 4) if whole else None


class _Scope:
    """The rows of one query: jobs and rejections of the window (and slot), T_sync now."""

    def __init__(self, window: str, slot: str | None):
        self.window = window
        self.now = clock.now()
        self.since = self.now - WINDOWS[window]
        self.t_sync_ms = current_config().t_sync_response_s * 1000
        self.jobs: list[ColumnElement[bool]] = [JobHistory.started_at >= self.since,
                                                JobHistory.is_test.is_(False)]
        # Rejections are counted per minute: the window's first minute counts whole.
        self.rejections = [IngestRejection.minute >= self.since.replace(second=0, microsecond=0)]
        if slot:
            self.jobs.append(JobHistory.slot_id == slot)
            self.rejections.append(IngestRejection.slot_id == slot)
        roomy_sorts()

    def head(self) -> dict[str, Any]:
        return {
            "window": self.window,
            "since": iso(self.since),
            "until": iso(self.now),
            "t_sync_s": self.t_sync_ms / 1000,
            "targets": {"within_t_sync": WITHIN_T_SYNC_TARGET_PCT / 100,
                        "timeout_or_error": FAILED_TARGET_PCT / 100},
        }

    def totals(self) -> dict[str, Any]:
        counts, spread = job_figures(self.jobs, None, self.t_sync_ms, MEASURES).get(
            None, (Counts(), {}))
        return _figures(counts, spread, rejection_counts(self.rejections, None).get(None, 0))

    def hourly(self) -> list[dict[str, Any]]:
        return _hourly(self.since, self.now, self.jobs, self.rejections, self.t_sync_ms)


def _validate(window: str, slot: str | None, group: str) -> None:
    fields = {}
    if window not in WINDOWS:
        fields["window"] = f"must be one of {', '.join(WINDOWS)}"
    if group not in GROUPS:
        fields["group"] = f"must be one of {', '.join(GROUPS)}"
    if slot is not None and slot not in SLOT_IDS:
        fields["slot"] = "unknown slot id (slot-001 … slot-015)"
    if fields:
        raise ApiError(422, "validation_error", "invalid statistics query", {"fields": fields})


def _groups(group: str, slot: str | None, jobs: list, rejections: list,
            t_sync_ms: float) -> list[dict[str, Any]]:
    if group == "slot":
        job_key, rejection_key = JobHistory.slot_id, IngestRejection.slot_id
        expected = [slot] if slot else list(SLOT_IDS)
    elif group == "provider":
        job_key, rejection_key = JobHistory.provider, IngestRejection.provider
        expected = sorted(all_providers())
    else:  # booth: the booth's name is read from the form, after every reason to refuse
        job_key, rejection_key = JobHistory.client_meta["name"].as_string(), None
        expected = []
    figures = job_figures(jobs, job_key, t_sync_ms, MEASURES)
    rejected = rejection_counts(rejections, rejection_key) if rejection_key is not None else None
    keys = sorted(set(expected) | set(figures) | set(rejected or {}),
                  key=lambda k: (k is None, k or ""))
    return [{"key": key, **_figures(*figures.get(key, (Counts(), {})),
                                    rejected=None if rejected is None else rejected.get(key, 0))}
            for key in keys]


def _hourly(since: datetime, now: datetime, jobs: list, rejections: list,
            t_sync_ms: float) -> list[dict[str, Any]]:
    origin = since.replace(minute=0, second=0, microsecond=0)
    figures = {hour_start(h): f for h, f in job_figures(
        jobs, hour_of(JobHistory.started_at), t_sync_ms,
        {"total_ms": JobHistory.total_ms}).items()}
    rejected = {hour_start(h): n for h, n in
                rejection_counts(rejections, hour_of(IngestRejection.minute)).items()}
    buckets = []
    for index in range(int((now - origin) / HOUR) + 1):
        hour = origin + index * HOUR
        c, spread = figures.get(hour, (Counts(), {}))
        buckets.append({
            "hour": iso(hour),
            "count": c.finished + c.pending + rejected.get(hour, 0),
            "done": c.done, "timeout": c.timeout, "provider_error": c.provider_error,
            "error": c.error, "pending": c.pending, "rejected": rejected.get(hour, 0),
            "p95_total_ms": spread.get("total_ms", empty_spread())["p95"],
        })
    return buckets


def _figures(counts: Counts, spread: dict[str, Spread], rejected: int | None) -> dict[str, Any]:
    failed = counts.timeout + counts.provider_error + counts.error
    return {
        "count": counts.finished + counts.pending + (rejected or 0),
        "done": counts.done,
        "timeout": counts.timeout,
        "provider_error": counts.provider_error,
        "error": counts.error,
        "pending": counts.pending,
        "rejected": rejected,
        "finished": counts.finished,
        "within_t_sync": counts.within_t_sync,
        "sla": {
            "within_t_sync": _sla(counts.within_t_sync, counts.finished,
                                  WITHIN_T_SYNC_TARGET_PCT, at_least=True),
            "timeout_or_error": _sla(failed, counts.finished, FAILED_TARGET_PCT, at_least=False),
        },
        **{name: spread.get(name, empty_spread()) for name in MEASURES},
    }


def _sla(part: int, whole: int, target_pct: int, at_least: bool) -> dict[str, Any]:
    """A share against its target; ``met`` compares whole numbers, so the target itself meets."""
    if whole == 0:
        return {"share": None, "target": target_pct / 100, "met": None}
    met = part * 100 >= target_pct * whole if at_least else part * 100 <= target_pct * whole
    return {"share": _share(part, whole), "target": target_pct / 100, "met": met}
