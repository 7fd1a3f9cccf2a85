"""The application's own Prometheus metrics: what services record while they work.

Plain prometheus_client objects, no web framework: services call the ``record_*`` functions;
``blueprints/metrics.py`` serves them on ``/metrics`` together with the values computed at scrape
time. Under gunicorn ``PROMETHEUS_MULTIPROC_DIR`` is set before this module is first imported
(gunicorn.conf.py), so every worker writes its own files and a scrape sums them; every Gauge names
its ``multiprocess_mode`` (the default would add a ``pid`` label). Labels never carry job ids,
tokens or booth names: a slot outside the known ids is recorded as ``unknown``. See
adr/0012-metrics-and-health.md.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from prometheus_client import Counter, Gauge, Histogram

#: What the booth got: 200, 504, 502, another 5xx (the gateway failed), a 4xx before any job.
OUTCOMES = ("done", "timeout", "provider_error", "error", "rejected")
#: Outcomes of a provider call (an ingest refused up front never calls one).
PROVIDER_OUTCOMES = ("done", "timeout", "provider_error", "error")
#: The failed-attempt limits of blueprints/limits.py.
RATE_LIMITS = ("login_per_user", "login_per_ip", "ingest_password")
UNKNOWN = "unknown"
NO_PROVIDER = "none"

# Resolve 0.1 s up to T_sync and beyond: 48 and 60 are 0.8 x and 1 x the default T_sync (the
# latency alert and the "within T_sync" panel read them); a timeout lands just above T_sync.
DURATION_BUCKETS = (0.1, 0.25, 0.5, 1, 2, 3, 5, 7.5, 10, 15, 20, 25, 30, 40, 48, 60, 75, 90, 120)
OVERHEAD_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)

INGEST_TOTAL = Counter(
    "photoslot_ingest_total", "Booth ingests by slot, provider and outcome (admin trial runs "
    "excluded)", ["slot", "provider", "outcome"])
INGEST_DURATION = Histogram(
    "photoslot_ingest_duration_seconds", "Ingest wall time from arrival to the answer",
    ["provider", "outcome"], buckets=DURATION_BUCKETS)
PROVIDER_DURATION = Histogram(
    "photoslot_provider_duration_seconds", "Time spent in the provider call",
    ["provider", "outcome"], buckets=DURATION_BUCKETS)
GATEWAY_OVERHEAD = Histogram(
    "photoslot_gateway_overhead_seconds", "Ingest wall time minus the provider call: what the "
    "gateway itself costs", buckets=OVERHEAD_BUCKETS)
INGEST_INFLIGHT = Gauge(
    "photoslot_ingest_inflight", "Ingests being processed now, summed over live workers",
    multiprocess_mode="livesum")
RATELIMIT_REJECTIONS = Counter(
    "photoslot_ratelimit_rejections_total", "Requests refused with 429, by breached limit",
    ["limit"])


def preinitialise(slot_ids: Iterable[str], providers: Iterable[str]) -> None:
    """Create every expected series at 0, so the first failure after a restart is an increase."""
    providers = tuple(providers)
    for provider in providers:
        for slot_id in slot_ids:
            for outcome in PROVIDER_OUTCOMES:
                INGEST_TOTAL.labels(slot_id, provider, outcome)
        for outcome in PROVIDER_OUTCOMES:
            INGEST_DURATION.labels(provider, outcome)
            PROVIDER_DURATION.labels(provider, outcome)
    for limit in RATE_LIMITS:
        RATELIMIT_REJECTIONS.labels(limit)


def outcome_of(status: int) -> str:
    """The outcome label for the HTTP status an ingest was answered with: ``error`` is a gateway
    fault (500); every other refusal before the provider (4xx, 408 stalled upload, 503 busy or
    database unavailable) is ``rejected``."""
    if status == 200:
        return "done"
    if status == 504:
        return "timeout"
    if status == 502:
        return "provider_error"
    return "error" if status == 500 else "rejected"


def record_ingest(slot: str, provider: str | None, outcome: str, total_s: float,
                  provider_s: float | None = None) -> None:
    """Count one ingest; ``provider_s`` only when a provider was called."""
    provider = provider or NO_PROVIDER
    INGEST_TOTAL.labels(slot, provider, outcome).inc()
    INGEST_DURATION.labels(provider, outcome).observe(total_s)
    if provider_s is not None:
        PROVIDER_DURATION.labels(provider, outcome).observe(provider_s)
        GATEWAY_OVERHEAD.observe(max(0.0, total_s - provider_s))


@contextmanager
def ingest_in_flight() -> Iterator[None]:
    """Count an ingest as in flight while the block runs."""
    INGEST_INFLIGHT.inc()
    try:
        yield
    finally:
        INGEST_INFLIGHT.dec()


def record_rate_limited(limit: str) -> None:
    """Count one request refused by the failed-attempt ``limit`` (one of RATE_LIMITS)."""
    RATELIMIT_REJECTIONS.labels(limit).inc()
