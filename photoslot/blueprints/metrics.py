"""``GET /metrics``: Prometheus text exposition on the app's own port.

Three sources in one answer: prometheus-flask-exporter's request metrics (``flask_*``, grouped
by URL rule), the application's own metrics (photoslot/metrics.py) and the values read at scrape
time (services/monitoring.py, cached ``PHOTOSLOT_METRICS_CACHE_S`` seconds per worker). Under
gunicorn every worker writes its metric files to ``PROMETHEUS_MULTIPROC_DIR`` and the worker that
serves the scrape sums them; the scrape-time values are added by that worker alone.
``PHOTOSLOT_METRICS_TOKEN`` set: a matching ``Authorization: Bearer`` is required.
"""

from __future__ import annotations

import functools
import hmac
import time
from collections.abc import Callable, Iterator
from typing import Any

from flask import Flask, request
from prometheus_client import REGISTRY, CollectorRegistry, values
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import choose_encoder
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_flask_exporter import PrometheusMetrics

from photoslot import metrics
from photoslot.config import current_config
from photoslot.errors import ApiError
from photoslot.models import SLOT_IDS
from photoslot.services.monitoring import ScrapeFigures, scrape_figures

#: Probes and the scrape itself stay out of the request metrics.
UNTRACKED_PATHS = [r"^/metrics$", r"^/healthz$", r"^/readyz$"]
#: Request durations up to past T_sync (an ingest may take a minute).
REQUEST_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 90)


def init_metrics(app: Flask) -> None:
    """Serve ``/metrics`` on ``app`` with its own exporter (own registry: one per create_app)."""
    exporter = _Exporter(
        app=None, path="/metrics", registry=CollectorRegistry(), group_by="url_rule",
        excluded_paths=UNTRACKED_PATHS, metrics_decorator=_require_token,
        buckets=REQUEST_BUCKETS)
    exporter.init_app(app)
    metrics.preinitialise(SLOT_IDS, app.extensions["photoslot.providers"])


def _multiprocess() -> bool:
    """True when prometheus_client writes values to files (PROMETHEUS_MULTIPROC_DIR at import)."""
    return values.ValueClass is not values.MutexValue


class _Exporter(PrometheusMetrics):
    """The exporter, answering from a fresh registry per scrape that includes our collector
    (the stock one ignores custom collectors in multiprocess mode)."""

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        self.scrape_time = _ScrapeTimeCollector()

    def generate_metrics(self, accept_header: str | None = None,
                         names: list[str] | None = None) -> tuple[str, str]:
        registry = CollectorRegistry()
        if _multiprocess():
            MultiProcessCollector(registry)
        else:
            registry.register(self.registry)  # this app's flask_* metrics
            registry.register(REGISTRY)  # photoslot/metrics.py
        registry.register(self.scrape_time)
        if names:
            registry = registry.restricted_registry(names)
        encoder, content_type = choose_encoder(accept_header)
        return encoder(registry).decode("utf-8"), content_type


class _ScrapeTimeCollector:
    """Metric families from the scrape-time figures, cached for a few seconds per worker."""

    def __init__(self) -> None:
        self._figures: ScrapeFigures | None = None
        self._taken = 0.0

    def collect(self) -> Iterator[Metric]:
        yield from families(self._current())

    def _current(self) -> ScrapeFigures:
        age = time.monotonic() - self._taken
        if self._figures is None or age >= current_config().metrics_cache_s:
            self._figures, self._taken = scrape_figures(), time.monotonic()
        return self._figures


def families(figures: ScrapeFigures) -> Iterator[Metric]:
    """The scrape-time metric families; a figure that could not be read is left out."""
    if figures.media is not None:
        yield _per_kind("photoslot_media_bytes", "Bytes of media objects by kind (database)",
                        {kind: v["bytes"] for kind, v in figures.media.items()})
        yield _per_kind("photoslot_media_objects", "Media objects by kind (database)",
                        {kind: v["objects"] for kind, v in figures.media.items()})
    if figures.disk is not None:
        yield GaugeMetricFamily("photoslot_media_disk_free_bytes",
                                "Free bytes on the media root's filesystem",
                                value=figures.disk["free_bytes"])
        yield GaugeMetricFamily("photoslot_media_disk_total_bytes",
                                "Size of the media root's filesystem in bytes",
                                value=figures.disk["total_bytes"])
    if figures.cleanup_last_success is not None:
        yield GaugeMetricFamily("photoslot_cleanup_last_success_timestamp_seconds",
                                "When the latest successful (not dry-run) cleanup finished",
                                value=figures.cleanup_last_success.timestamp())
    if figures.cleanup_deleted is not None:
        deleted = CounterMetricFamily("photoslot_cleanup_deleted",
                                      "Media objects deleted by cleanup runs, by kind",
                                      labels=["kind"])
        for kind, objects in figures.cleanup_deleted.items():
            deleted.add_metric([kind], objects)
        yield deleted
    configured = GaugeMetricFamily("photoslot_provider_configured",
                                   "1 when the provider has its configuration (API key)",
                                   labels=["provider"])
    for provider, ok in figures.providers_configured.items():
        configured.add_metric([provider], 1.0 if ok else 0.0)
    yield configured
    ready = GaugeMetricFamily("photoslot_ready", "1 when the readiness check passes",
                              labels=["check"])
    for check, ok in figures.ready.items():
        ready.add_metric([check], 1.0 if ok else 0.0)
    yield ready
    yield GaugeMetricFamily("photoslot_t_sync_seconds", "T_sync_response: the ingest deadline",
                            value=figures.t_sync_s)


def _per_kind(name: str, documentation: str, per_kind: dict[str, int]) -> GaugeMetricFamily:
    family = GaugeMetricFamily(name, documentation, labels=["kind"])
    for kind, value in per_kind.items():
        family.add_metric([kind], value)
    return family


def _require_token(view: Callable) -> Callable:
    """401 unless the bearer token matches PHOTOSLOT_METRICS_TOKEN (when it is set)."""

    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        expected = current_config().metrics_token
        if expected:
            scheme, _, presented = request.headers.get("Authorization", "").partition(" ")
            if scheme.lower() != "bearer" or not hmac.compare_digest(
                    presented.strip().encode(), expected.encode()):
                raise ApiError(401, "unauthorized", "the metrics need the bearer token",
                               headers={"WWW-Authenticate": 'Bearer realm="metrics"'})
        return view(*args, **kwargs)

    return wrapped
