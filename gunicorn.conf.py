"""gunicorn settings: gevent workers, a timeout beyond T_sync, the Prometheus multiprocess dir."""

import os
import shutil
from pathlib import Path


def _seconds(name: str, default: float) -> float:
    try:
        return float(os.environ.get(name) or default)
    except ValueError:
        return default  # the app's own config check reports the bad value and stops the worker


_t_sync = _seconds("PHOTOSLOT_T_SYNC_RESPONSE_S", 60)

wsgi_app = "wsgi:app"
bind = os.environ.get("PHOTOSLOT_BIND", "127.0.0.1:8000")
worker_class = "gevent"
# One gevent worker per core; each serves many concurrent ingests while providers work.
workers = int(os.environ.get("PHOTOSLOT_WORKERS", "2"))
worker_connections = int(os.environ.get("PHOTOSLOT_WORKER_CONNECTIONS", "200"))
# Longer than T_sync so a slow provider call is never cut by gunicorn before our own deadline.
timeout = int(_t_sync) + 30
graceful_timeout = int(_t_sync) + 5
keepalive = 5
accesslog = "-"
# Path only, never the query string: it may carry ?password= from a booth.
# pid tells which worker answered (tests use it to prove both workers served).
access_log_format = '%(h)s "%(m)s %(U)s" %(s)s %(B)s %(M)sms rid=%({x-request-id}o)s pid=%(p)s'

_var_dir = Path(os.environ.get("PHOTOSLOT_VAR_DIR") or Path(__file__).resolve().parent / "var")
_default_metrics_dir = _var_dir / "prometheus"
if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(_default_metrics_dir)


def on_starting(server):
    """Start every run with an empty multiprocess metrics directory."""
    metrics_dir = Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])
    if metrics_dir.exists():
        shutil.rmtree(metrics_dir)
    metrics_dir.mkdir(parents=True)


def child_exit(server, worker):
    """Drop a dead worker's live-gauge files so metrics do not count it."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def post_worker_init(worker):
    """Once per worker, after it loaded the app: with memory:// rate limits, log what the limits
    really are (each worker counts alone). The import runs in the worker, already patched."""
    from photoslot.ratelimit import log_per_worker_limits

    log_per_worker_limits(worker.wsgi.extensions["photoslot.config"], worker.cfg.workers)
